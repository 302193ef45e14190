// Strings that repeat across decision records (rule ids, stage names, routes, methods, details) kept once
// and referred to by small integers, so a record holds numbers in typed arrays instead of string pointers.
// Each id is counted by the records that use it and freed with the last one: the table holds only what the
// live records need, however many distinct rule ids (detect/shape:<id>:<mode>, hygiene/<reason>) pass by.
// The map changes only when a string appears or disappears, not per record.

/** Id 0 stands for "none" (null rule, route or detail). */
export const NONE = 0;

export class InternTable {
  readonly #ids = new Map<string, number>();
  readonly #text: (string | undefined)[] = [undefined];
  readonly #refs: number[] = [0];
  readonly #free: number[] = [];

  /** Distinct strings held now. */
  get size(): number {
    return this.#ids.size;
  }

  /** The id of `s`, counted once more; undefined gives NONE. */
  hold(s: string | undefined): number {
    if (s === undefined) return NONE;
    let id = this.#ids.get(s);
    if (id === undefined) {
      id = this.#free.pop() ?? this.#text.length;
      this.#ids.set(s, id);
      this.#text[id] = s;
      this.#refs[id] = 0;
    }
    this.#refs[id]++;
    return id;
  }

  /** One use fewer; the last frees the id for reuse. */
  release(id: number): void {
    if (id === NONE) return;
    if (--this.#refs[id] > 0) return;
    this.#ids.delete(this.#text[id] as string);
    this.#text[id] = undefined;
    this.#free.push(id);
  }

  text(id: number): string | undefined {
    return id === NONE ? undefined : this.#text[id];
  }
}
