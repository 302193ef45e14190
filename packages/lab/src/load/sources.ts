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
  /** Addresses between two members: 1 packs them; PER_C puts each in its own /24 (people are spread out). */
  readonly stride: number;
}

/** A stride that gives each member of a pool its own /24. */
export const OWN_PREFIX = PER_C;

export function poolAddress(pool: SourcePool, k: number): string {
  return sourceAddress(pool.first + (((k % pool.size) + pool.size) % pool.size) * pool.stride);
}

/** Hands out non-overlapping pools in order. */
export function createPoolAllocator(start = 0): (name: string, size: number, stride?: number) => SourcePool {
  let next = start;
  return (name, size, stride = 1) => {
    if (size < 1) throw new RangeError(`pool ${name}: size must be >= 1`);
    if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`pool ${name}: stride must be an integer >= 1`);
    const pool = { name, first: next, size, stride };
    next += size * stride;
    return pool;
  };
}
