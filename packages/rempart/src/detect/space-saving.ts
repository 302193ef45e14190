// Space-saving (Metwally et al. 2005): the k heaviest keys of a stream in fixed memory. A new key evicts
// the current minimum and inherits its count as an error bound, so any key with a true count above
// total/k is guaranteed to be kept. Finding the minimum is amortised O(1): one rescan fills a stack with
// every slot at the minimum count, and a flood of distinct keys (the attack case) then pops from it.

export interface HeavyHitter {
  readonly key: string;
  /** Upper bound of the true count. */
  readonly count: number;
  /** count - error is a lower bound of the true count. */
  readonly error: number;
}

export class SpaceSaving {
  readonly capacity: number;
  private readonly index = new Map<string, number>();
  private readonly keys: (string | undefined)[];
  private readonly counts: Uint32Array;
  private readonly errors: Uint32Array;
  private size = 0;
  private total = 0;
  private readonly minStack: Int32Array;
  private minTop = 0;
  private minCount = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error('SpaceSaving: capacity must be a positive integer');
    this.capacity = capacity;
    this.keys = new Array(capacity).fill(undefined);
    this.counts = new Uint32Array(capacity);
    this.errors = new Uint32Array(capacity);
    this.minStack = new Int32Array(capacity);
  }

  offer(key: string): void {
    this.total++;
    const i = this.index.get(key);
    if (i !== undefined) {
      this.counts[i]++;
      return;
    }
    if (this.size < this.capacity) {
      const slot = this.size++;
      this.keys[slot] = key;
      this.counts[slot] = 1;
      this.errors[slot] = 0;
      this.index.set(key, slot);
      return;
    }
    const slot = this.popMin();
    this.index.delete(this.keys[slot]!);
    this.keys[slot] = key;
    this.errors[slot] = this.counts[slot];
    this.counts[slot]++;
    this.index.set(key, slot);
  }

  private popMin(): number {
    for (;;) {
      while (this.minTop > 0) {
        const s = this.minStack[--this.minTop];
        // Slots hit since the rescan grew past the minimum: stale entries are skipped.
        if (this.counts[s] === this.minCount) return s;
      }
      let m = Number.POSITIVE_INFINITY;
      for (let i = 0; i < this.size; i++) if (this.counts[i] < m) m = this.counts[i];
      this.minCount = m;
      for (let i = 0; i < this.size; i++) if (this.counts[i] === m) this.minStack[this.minTop++] = i;
    }
  }

  /** Estimated count of one key (0 when not tracked). */
  count(key: string): number {
    const i = this.index.get(key);
    return i === undefined ? 0 : this.counts[i];
  }

  /** The n heaviest keys, heaviest first. Allocates: call once per tick, not per request. */
  top(n = this.capacity): HeavyHitter[] {
    const out: HeavyHitter[] = [];
    for (let i = 0; i < this.size; i++) out.push({ key: this.keys[i]!, count: this.counts[i], error: this.errors[i] });
    out.sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
    return out.length > n ? out.slice(0, n) : out;
  }

  /** Items offered since the last clear. */
  get seen(): number {
    return this.total;
  }

  get tracked(): number {
    return this.size;
  }

  clear(): void {
    this.index.clear();
    this.keys.fill(undefined);
    this.size = 0;
    this.total = 0;
    this.minTop = 0;
    this.minCount = 0;
  }
}
