import { randomFillSync } from 'node:crypto';

// Keys are hashed once per call to 64 bits, as two 32-bit lanes with different constructions (an FNV-1a chain
// over UTF-16 units and a MurmurHash3-style mix over pairs of units), each finished with MurmurHash3's avalanche.
// A slot keeps both lanes as its tag and the table never compares the strings themselves: two keys whose 64 bits
// agree share one entry. For unrelated keys that is a 2^-64 chance per pair, far below anything a table of a few
// hundred thousand entries meets; the seed, drawn per handle, keeps a flood from precomputing colliding keys.

/** The last hash: [lane a, lane b]. Per thread, overwritten by every call; read it before hashing again. */
export const KEY_HASH = new Int32Array(2);

function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function mixPair(b: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  b ^= Math.imul(k, 0x1b873593);
  b = (b << 13) | (b >>> 19);
  return (Math.imul(b, 5) + 0xe6546b64) | 0;
}

/** Hashes `s` with `seed` into KEY_HASH without allocating. */
export function hashKey(s: string, seed: number): void {
  const n = s.length;
  let a = (seed ^ 0x811c9dc5) | 0;
  let b = Math.imul(seed, 0x9e3779b1) ^ 0x5bd1e995;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    a = Math.imul(Math.imul(a ^ c0, 0x01000193) ^ c1, 0x01000193);
    b = mixPair(b, c0 | (c1 << 16));
  }
  if (i < n) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = mixPair(b, c);
  }
  KEY_HASH[0] = avalanche(a ^ n);
  KEY_HASH[1] = avalanche(b ^ n);
}

/** A random 32-bit seed for a new handle. */
export function newSeed(): number {
  return randomFillSync(new Int32Array(1))[0];
}
