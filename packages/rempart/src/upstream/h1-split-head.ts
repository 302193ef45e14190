// A response head (or trailer section) split across socket reads: its bytes gathered in one growing buffer,
// copied once each, and searched for the CRLFCRLF that ends it from where the last search stopped, so a head
// dribbled byte by byte costs linear, not quadratic, time.

const CR = 13;
const LF = 10;
const END_OF_HEAD = Buffer.from('\r\n\r\n', 'latin1');

/** End index (after CRLFCRLF) of the block starting at `from` in b[from, to), or -1. */
export function blockEnd(b: Buffer, from: number, to: number, scanFrom: number, trailers: boolean): number {
  // An empty trailer section is just CRLF.
  if (trailers && to - from >= 2 && b[from] === CR && b[from + 1] === LF) return from + 2;
  const i = b.indexOf(END_OF_HEAD, scanFrom);
  return i < 0 || i + 4 > to ? -1 : i + 4;
}

export class SplitHead {
  bytes: Buffer | null = null;
  length = 0;

  clear(): void {
    this.length = 0;
  }

  append(chunk: Buffer, pos: number, n: number): void {
    const need = this.length + n;
    if (this.bytes === null || this.bytes.length < need) {
      const grown = Buffer.allocUnsafe(Math.max(need, 2 * (this.bytes?.length ?? 512)));
      if (this.bytes !== null) this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    chunk.copy(this.bytes, this.length, pos, pos + n);
    this.length = need;
  }

  /** Appends `n` bytes of `chunk`; returns the end of the block in `bytes` once complete, else -1. */
  add(chunk: Buffer, n: number, trailers: boolean): number {
    const old = this.length;
    this.append(chunk, 0, n);
    return blockEnd(this.bytes as Buffer, 0, this.length, Math.max(0, old - 3), trailers);
  }
}
