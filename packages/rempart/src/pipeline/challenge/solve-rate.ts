// Measured solving speed of real clients, from the solve times they report with verified proofs. Kept as an
// average of log2(hashes per ms), so one slow phone or one lying client moves it only a little.

const ALPHA = 0.05;
const MIN_SAMPLES = 5;

export class SolveRate {
  private log2Rate = 0;
  private samples = 0;

  report(bits: number, ms: number): void {
    const l = bits - Math.log2(Math.max(1, ms));
    this.log2Rate = this.samples === 0 ? l : this.log2Rate + ALPHA * (l - this.log2Rate);
    this.samples++;
  }

  /** Most bits a median device solves within maxSolveMs; 32 (no cap) until enough reports. */
  capBits(maxSolveMs: number): number {
    if (this.samples < MIN_SAMPLES) return 32;
    return Math.max(1, Math.min(32, Math.floor(this.log2Rate + Math.log2(maxSolveMs))));
  }
}
