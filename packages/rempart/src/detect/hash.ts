// One cheap string hash for every sketch: FNV-1a over UTF-16 code units, then the murmur3 finaliser.
// FNV alone mixes its low bits poorly; HyperLogLog reads the top bits as a register index and the rest
// as a geometric sample, so the finaliser's avalanche is what makes its estimate honest.

export function hashString(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** Continues an FNV-1a hash with one more string (no finaliser): for hashing several parts without concatenating. */
export function fnvStep(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  // A separator so ("ab","c") and ("a","bc") differ.
  return Math.imul(h ^ 0xff, 0x01000193);
}

export const FNV_OFFSET = 0x811c9dc5;

export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const HEX = '0123456789abcdef';

/** 8 lowercase hex digits: short enough for a rule id, a metric label and a log line. */
export function hex8(h: number): string {
  let s = '';
  for (let i = 28; i >= 0; i -= 4) s += HEX[(h >>> i) & 15];
  return s;
}
