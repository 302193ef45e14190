import type { Registry } from 'prom-client';

// A histogram over a fixed set of label sets ("cells"), counted in typed arrays: observe() is a bucket search
// and three increments, where prom-client's Histogram builds a label object, hashes it and looks the bucket
// up by its bound as a property name (~300 ns per request). It registers on a prom-client Registry like any
// metric (name, help, type, get, reset) and is exposed in the same format: cumulative buckets with `le`
// first, then +Inf, _sum and _count, for every cell observed at least once.

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export class CellHistogram<T extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  readonly #cells: readonly Readonly<Record<T, string>>[];
  /** Per cell: one count per bound, then the count above the last bound. Not cumulative. */
  readonly #buckets: Float64Array;
  readonly #sum: Float64Array;
  readonly #count: Float64Array;

  constructor(o: { name: string; help: string; buckets: readonly number[]; cells: readonly Record<T, string>[] }) {
    this.name = o.name;
    this.help = o.help;
    this.#bounds = [...o.buckets].sort((a, b) => a - b);
    this.#cells = o.cells;
    this.#buckets = new Float64Array(o.cells.length * (this.#bounds.length + 1));
    this.#sum = new Float64Array(o.cells.length);
    this.#count = new Float64Array(o.cells.length);
  }

  observe(cell: number, value: number): void {
    const bounds = this.#bounds;
    let b = 0;
    while (b < bounds.length && value > bounds[b]) b++;
    this.#buckets[cell * (bounds.length + 1) + b]++;
    this.#sum[cell] += value;
    this.#count[cell]++;
  }

  /** Adds the histogram to a registry (prom-client types only its own metric classes, hence the cast). */
  registerOn(registry: Registry): this {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
    return this;
  }

  /** What prom-client's Registry reads at scrape time (the shape its own Histogram returns). */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; values: Sample[]; aggregator: 'sum' }> {
    const name = this.name;
    const values: Sample[] = [];
    const stride = this.#bounds.length + 1;
    for (let c = 0; c < this.#cells.length; c++) {
      if (this.#count[c] === 0) continue;
      const labels = this.#cells[c];
      let acc = 0;
      for (let b = 0; b < this.#bounds.length; b++) {
        acc += this.#buckets[c * stride + b];
        values.push({ labels: { le: this.#bounds[b], ...labels }, value: acc, metricName: `${name}_bucket` });
      }
      values.push({ labels: { le: '+Inf', ...labels }, value: this.#count[c], metricName: `${name}_bucket` });
      values.push({ labels: { ...labels }, value: this.#sum[c], metricName: `${name}_sum` });
      values.push({ labels: { ...labels }, value: this.#count[c], metricName: `${name}_count` });
    }
    return { name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }

  reset(): void {
    this.#buckets.fill(0);
    this.#sum.fill(0);
    this.#count.fill(0);
  }
}
