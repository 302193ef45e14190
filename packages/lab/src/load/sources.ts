// Simulated clients get distinct loopback source addresses so a gateway sees many real peers.
// Linux answers for all of 127.0.0.0/8 on `lo`, so binding 127.a.b.c needs no setup.
// Addresses start at 127.10.0.1 (leaving 127.0.x.x to the targets) and skip .0/.255 host bytes.

const FIRST_A = 10;
const PER_C = 254; // host bytes 1..254
const MAX_SOURCES = 240 * 256 * PER_C; // 127.10.0.1 … 127.249.255.254

/** The i-th loopback source address (0-based); a pool is a contiguous range of indices. */
export function sourceAddress(i: number): string {
  if (!Number.isInteger(i) || i < 0 || i >= MAX_SOURCES) throw new RangeError(`source index out of range: ${i}`);
  const c = (i % PER_C) + 1;
  const rest = Math.floor(i / PER_C);
  const b = rest % 256;
  const a = FIRST_A + Math.floor(rest / 256);
  return `127.${a}.${b}.${c}`;
}

/** A named, contiguous block of sources; pools for different actors never overlap unless asked to (shared IPs). */
export interface SourcePool {
  readonly name: string;
  readonly first: number;
  readonly size: number;
}

export function poolAddress(pool: SourcePool, k: number): string {
  return sourceAddress(pool.first + (((k % pool.size) + pool.size) % pool.size));
}

/** Hands out non-overlapping pools in order. */
export function createPoolAllocator(start = 0): (name: string, size: number) => SourcePool {
  let next = start;
  return (name, size) => {
    if (size < 1) throw new RangeError(`pool ${name}: size must be >= 1`);
    const pool = { name, first: next, size };
    next += size;
    return pool;
  };
}
