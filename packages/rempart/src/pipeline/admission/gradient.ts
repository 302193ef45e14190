// Adaptive concurrency limit (Envoy's gradient controller, Netflix's Gradient2): the origin's latency tells how
// many requests it can take at once. While sampled latency stays near the idle latency (minRTT) the limit grows
// by √limit; when latency rises the limit shrinks in proportion. minRTT is re-measured periodically at the
// minimum concurrency, otherwise a queue at the origin would become the new "normal" and the limit would drift up.

export interface GradientParams {
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  /** Latency samples are aggregated over this window before one limit update. */
  readonly sampleWindowMs: number;
  /** Percentile of the window's samples used as sampleRTT (0..1). */
  readonly percentile: number;
  /** How often minRTT is re-measured. */
  readonly minRttIntervalMs: number;
  /** Samples taken (at min concurrency) to measure minRTT. */
  readonly minRttSamples: number;
  /** Latency tolerated above minRTT before the limit shrinks (fraction of minRTT). */
  readonly buffer: number;
  /** Weight of the new value in the smoothed limit (0..1]. */
  readonly smoothing: number;
}

export const DEFAULT_GRADIENT: Omit<GradientParams, 'initial' | 'min' | 'max'> = {
  sampleWindowMs: 250,
  percentile: 0.9,
  minRttIntervalMs: 30_000,
  minRttSamples: 25,
  buffer: 0.25,
  smoothing: 0.2,
};

/** Samples kept per window at most; beyond it the window closes early (bounded memory). */
const WINDOW_CAPACITY = 1_024;

export type GradientPhase = 'measure-min-rtt' | 'run';

export class GradientLimit {
  #p: GradientParams;
  #limit: number;
  #phase: GradientPhase = 'measure-min-rtt';
  /** The limit before a minRTT measurement, restored after it. */
  #savedLimit: number;
  #minRtt = Number.NaN;
  #sampleRtt = Number.NaN;
  #nextMeasureAt = 0;
  #windowStart = Number.NaN;
  readonly #samples = new Float64Array(WINDOW_CAPACITY);
  #count = 0;
  /** Highest in-flight seen in the window: an app-limited window (far below the limit) must not grow it. */
  #maxInFlight = 0;

  constructor(p: GradientParams) {
    this.#p = p;
    // The first measurement too runs at the minimum: a gateway may start in the middle of a flood, and minRTT
    // measured at a high concurrency would include the origin's own queue.
    this.#savedLimit = clamp(p.initial, p.min, p.max);
    this.#limit = p.min;
  }

  get limit(): number {
    return Math.floor(this.#limit);
  }
  get minRttMs(): number {
    return this.#minRtt;
  }
  get sampleRttMs(): number {
    return this.#sampleRtt;
  }
  get phase(): GradientPhase {
    return this.#phase;
  }

  /** New bounds on config reload; the learned state is kept. */
  reconfigure(p: GradientParams): void {
    this.#p = p;
    this.#limit = clamp(this.#limit, p.min, p.max);
    this.#savedLimit = clamp(this.#savedLimit, p.min, p.max);
  }

  /** One completed request: its latency, the time (monotonic ms) and the in-flight count when it completed. */
  sample(latencyMs: number, now: number, inFlight: number): void {
    if (!(latencyMs >= 0)) return;
    // While measuring, requests admitted before the switch (at a higher concurrency) still complete: their
    // latency includes the origin's queue, so only samples taken at the minimum concurrency count.
    if (this.#phase === 'measure-min-rtt' && inFlight > this.#p.min) return;
    if (Number.isNaN(this.#windowStart)) this.#windowStart = now;
    this.#samples[this.#count++] = latencyMs;
    if (inFlight > this.#maxInFlight) this.#maxInFlight = inFlight;

    if (this.#phase === 'measure-min-rtt') {
      if (this.#count >= this.#p.minRttSamples) this.#endMeasure(now);
      return;
    }
    if (now - this.#windowStart >= this.#p.sampleWindowMs || this.#count === WINDOW_CAPACITY) this.#update(now);
  }

  #endMeasure(now: number): void {
    // The median of idle-ish samples: the minimum alone would be one lucky request.
    this.#minRtt = Math.max(percentileOf(this.#samples, this.#count, 0.5), 0.001);
    this.#phase = 'run';
    this.#limit = this.#savedLimit;
    this.#nextMeasureAt = now + this.#p.minRttIntervalMs;
    this.#resetWindow(now);
  }

  #update(now: number): void {
    const p = this.#p;
    const sampleRtt = Math.max(percentileOf(this.#samples, this.#count, p.percentile), 0.001);
    this.#sampleRtt = sampleRtt;
    const gradient = clamp((this.#minRtt * (1 + p.buffer)) / sampleRtt, 0.5, 2);
    let next = this.#limit * gradient + Math.sqrt(this.#limit);
    // Do not learn a larger limit from a window that never came close to using the current one.
    if (next > this.#limit && this.#maxInFlight < this.#limit / 2) next = this.#limit;
    this.#limit = clamp((1 - p.smoothing) * this.#limit + p.smoothing * next, p.min, p.max);
    this.#resetWindow(now);
    if (now >= this.#nextMeasureAt) {
      this.#savedLimit = this.#limit;
      this.#limit = p.min;
      this.#phase = 'measure-min-rtt';
    }
  }

  #resetWindow(now: number): void {
    this.#count = 0;
    this.#maxInFlight = 0;
    this.#windowStart = now;
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

/** Percentile of the first n values (sorts a copy: n ≤ WINDOW_CAPACITY, once per window). */
function percentileOf(values: Float64Array, n: number, q: number): number {
  const sorted = values.slice(0, n).sort();
  return sorted[Math.min(n - 1, Math.floor(q * n))];
}
