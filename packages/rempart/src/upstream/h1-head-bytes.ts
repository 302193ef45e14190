import { TCHAR, VALUE_OK } from './h1-header-fields.ts';

// Request heads written straight into bytes: each name and value is checked and copied in the same pass, into
// a shared 64 KiB slab handed out in slices (as Node's own Buffer pool does). Building the head as a string
// cost a rope of ~40 pieces and a flattened copy per request (~2 KB of garbage); this costs one slice object.
// A slice is never written again once handed out, so a socket may keep it queued as long as it needs.

const SLAB_BYTES = 64 * 1024;

let slab = Buffer.allocUnsafe(SLAB_BYTES);
let used = 0;

export class HeadBytes {
  buf: Buffer = slab;
  start = 0;
  at = 0;

  /** Starts a head of at most `bound` bytes. */
  begin(bound: number): void {
    if (bound > SLAB_BYTES / 4) {
      // A head that large gets its own buffer rather than most of a slab.
      this.buf = Buffer.allocUnsafe(bound);
      this.start = this.at = 0;
      return;
    }
    if (used + bound > SLAB_BYTES) {
      slab = Buffer.allocUnsafe(SLAB_BYTES);
      used = 0;
    }
    this.buf = slab;
    this.start = this.at = used;
  }

  /** Copies text the caller knows to be plain ASCII (our own literals). */
  text(s: string): void {
    const b = this.buf;
    const o = this.at;
    for (let i = 0; i < s.length; i++) b[o + i] = s.charCodeAt(i);
    this.at = o + s.length;
  }

  byte(c: number): void {
    this.buf[this.at++] = c;
  }

  /** Copies a field name: -1 when not a token (nothing usable written), 1 when it has upper case, else 0. */
  token(s: string): number {
    const b = this.buf;
    const o = this.at;
    let all = 3;
    let any = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const t = TCHAR[c];
      all &= t;
      any |= t;
      b[o + i] = c;
    }
    this.at = o + s.length;
    return s.length === 0 || all === 0 ? -1 : any >> 1;
  }

  /** Copies a field value; false when it holds a byte a value may not (CR, LF, NUL, other controls, > 0xFF). */
  value(s: string): boolean {
    const b = this.buf;
    const o = this.at;
    let ok = 1;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      ok &= VALUE_OK[c];
      b[o + i] = c;
    }
    this.at = o + s.length;
    return ok === 1;
  }

  /** Forgets the last `n` bytes written (a field dropped after being copied). */
  back(n: number): void {
    this.at -= n;
  }

  /** The head written since begin(). */
  finish(): Buffer {
    const out = this.buf.subarray(this.start, this.at);
    if (this.buf === slab) used = (this.at + 7) & ~7;
    return out;
  }
}
