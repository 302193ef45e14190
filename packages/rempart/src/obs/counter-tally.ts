import type { Counter, LabelValues } from 'prom-client';

// prom-client hashes the label values on every inc(), even through a child made once with labels(): a few
// hundred ns per call, several calls per request. A tally counts per label set in a Float64Array instead
// (an index bump on the hot path) and adds what accumulated to the prom-client counter when it is scraped,
// so the exposition is unchanged and direct inc() calls on the counter still add up.

export class CounterTally<T extends string> {
  readonly #labels: LabelValues<T>[] = [];
  readonly #counts: Float64Array;
  readonly #flushed: Float64Array;

  constructor(capacity: number) {
    this.#counts = new Float64Array(capacity);
    this.#flushed = new Float64Array(capacity);
  }

  /** A slot for one label set (made once per set, off the hot path); -1 when the tally is full. */
  slot(labels: LabelValues<T>): number {
    if (this.#labels.length === this.#counts.length) return -1;
    this.#labels.push(labels);
    return this.#labels.length - 1;
  }

  add(slot: number): void {
    this.#counts[slot]++;
  }

  /** Adds the counts since the last flush to the counter: its collect() hook calls this at scrape time. */
  flush(counter: Counter<T>): void {
    for (let i = 0; i < this.#labels.length; i++) {
      const d = this.#counts[i] - this.#flushed[i];
      if (d === 0) continue;
      counter.inc(this.#labels[i], d);
      this.#flushed[i] = this.#counts[i];
    }
  }
}
