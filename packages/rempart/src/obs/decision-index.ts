// Decision id → ring slot, without a string-keyed Map: an id made by this process is a prefix plus a counter
// (core/decision-id.ts), so the index is keyed by the counter alone. The slot cannot be derived from the
// counter (the counter moves on every request, the ring only on recorded ones), hence a table: open
// addressing with linear probing over an Int32Array of slot + 1 (0 = empty), at most half full. The key is
// not stored twice: a probe reads the ring's own counter column to check a candidate, and removal shifts
// later entries back (no tombstones), so a flood of records and evictions never degrades the probes.

const GOLDEN = 0x9e3779b1;

export class SeqIndex {
  readonly #table: Int32Array;
  readonly #mask: number;
  readonly #shift: number;
  /** The ring's counter column, read to verify a candidate and to find an entry's home bucket. */
  readonly #seqs: Int32Array;

  constructor(capacity: number, seqs: Int32Array) {
    let bits = 4;
    while (1 << bits < capacity * 2) bits++;
    this.#table = new Int32Array(1 << bits);
    this.#mask = (1 << bits) - 1;
    this.#shift = 32 - bits;
    this.#seqs = seqs;
  }

  /** Fixed at construction; for tests that check nothing grows. */
  get buckets(): Int32Array {
    return this.#table;
  }

  #home(seq: number): number {
    return Math.imul(seq, GOLDEN) >>> this.#shift;
  }

  /** Bucket holding `seq`, or the empty bucket where it would go (as ~bucket, negative). */
  #probe(seq: number): number {
    const t = this.#table;
    let b = this.#home(seq);
    // Bounded: the table is never more than half full, so an empty bucket comes within its length.
    for (let n = 0; n <= this.#mask; n++) {
      const e = t[b];
      if (e === 0) return ~b;
      if (this.#seqs[e - 1] === seq) return b;
      b = (b + 1) & this.#mask;
    }
    throw new Error('decision index full');
  }

  /** Ring slot of `seq`, or -1. */
  find(seq: number): number {
    const b = this.#probe(seq);
    return b < 0 ? -1 : this.#table[b] - 1;
  }

  /** Points `seq` at `slot` (the ring's counter column must already hold seq there); a repeated id moves. */
  set(seq: number, slot: number): void {
    const b = this.#probe(seq);
    this.#table[b < 0 ? ~b : b] = slot + 1;
  }

  /** Forgets `seq` if it still points at `slot` (a repeated id keeps its newer slot). */
  delete(seq: number, slot: number): void {
    let hole = this.#probe(seq);
    if (hole < 0 || this.#table[hole] !== slot + 1) return;
    const t = this.#table;
    const mask = this.#mask;
    t[hole] = 0;
    // Backward shift: each later entry of the run moves into the hole unless its home lies after the hole.
    let b = hole;
    for (let n = 0; n < mask; n++) {
      b = (b + 1) & mask;
      const e = t[b];
      if (e === 0) return;
      const home = this.#home(this.#seqs[e - 1]);
      const stays = hole <= b ? hole < home && home <= b : hole < home || home <= b;
      if (stays) continue;
      t[hole] = e;
      t[b] = 0;
      hole = b;
    }
  }
}
