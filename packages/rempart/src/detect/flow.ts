import { hashString } from './hash.ts';

// Flow check: a person posts a form after loading it; a flood tool posts straight away. GETs are
// remembered as (client, path) bits in two rotating bitsets (current and previous window), so memory is
// fixed (2 × 2^bits bits) and "seen in the last one to two windows" costs one hash and two bit reads.
// False "seen" answers (bit collisions) only make the signal more lenient.

export class FormFlow {
  private readonly bits: number;
  private current: Uint32Array;
  private previous: Uint32Array;
  private readonly windowMs: number;
  private windowStart = 0;
  private posts = 0;
  private orphans = 0;

  constructor(bits = 20, windowMs = 60_000) {
    this.bits = bits;
    this.current = new Uint32Array(1 << (bits - 5));
    this.previous = new Uint32Array(1 << (bits - 5));
    this.windowMs = windowMs;
  }

  /** Records a GET, or checks a POST against the GETs seen; returns true for a POST with no prior GET. */
  observe(ip: string, path: string, method: string, now: number): boolean {
    if (now - this.windowStart >= this.windowMs) this.rotate(now);
    const h = hashString(path, hashString(ip)) >>> (32 - this.bits);
    const word = h >>> 5;
    const bit = 1 << (h & 31);
    if (method === 'GET') {
      this.current[word] |= bit;
      return false;
    }
    if (method !== 'POST') return false;
    this.posts++;
    if ((this.current[word] & bit) !== 0 || (this.previous[word] & bit) !== 0) return false;
    this.orphans++;
    return true;
  }

  /** Read-only: has this client sent a GET of this path in the last one to two windows? */
  seen(ip: string, path: string): boolean {
    const h = hashString(path, hashString(ip)) >>> (32 - this.bits);
    const bit = 1 << (h & 31);
    return (this.current[h >>> 5] & bit) !== 0 || (this.previous[h >>> 5] & bit) !== 0;
  }

  /** Share of this tick's POSTs that had no GET of the same path by the same client; resets the tick counts. */
  takeOrphanShare(): { posts: number; share: number } {
    const r = { posts: this.posts, share: this.posts === 0 ? 0 : this.orphans / this.posts };
    this.posts = 0;
    this.orphans = 0;
    return r;
  }

  private rotate(now: number): void {
    const t = this.previous;
    this.previous = this.current;
    this.current = t;
    this.current.fill(0);
    this.windowStart = now;
  }

  get bytes(): number {
    return this.current.byteLength * 2;
  }
}
