// Exponentially weighted mean and variance of one signal, with a warm-up: until `warmup` samples are in,
// the weight is 1/n (a plain average) so the baseline converges fast, and `ready` stays false so nobody
// compares against a baseline made of three seconds.

export class Ewma {
  readonly alpha: number;
  readonly warmup: number;
  mean = 0;
  variance = 0;
  n = 0;

  constructor(alpha: number, warmup: number) {
    if (!(alpha > 0 && alpha <= 1)) throw new Error('Ewma: alpha must be in (0, 1]');
    this.alpha = alpha;
    this.warmup = warmup;
  }

  update(x: number, weight = 1): void {
    this.n++;
    const a = Math.min(1, Math.max(this.alpha * weight, this.n <= this.warmup ? 1 / this.n : 0));
    const d = x - this.mean;
    this.mean += a * d;
    this.variance = (1 - a) * (this.variance + a * d * d);
  }

  get ready(): boolean {
    return this.n >= this.warmup;
  }

  get std(): number {
    return Math.sqrt(this.variance);
  }

  /** x relative to the baseline mean, the mean floored so a quiet baseline does not make every blip huge. */
  ratio(x: number, floor: number): number {
    return x / Math.max(this.mean, floor);
  }

  reset(): void {
    this.mean = 0;
    this.variance = 0;
    this.n = 0;
  }
}
