import { scrypt } from 'node:crypto';
import { isCounter, leadingZeroBits } from './pow.ts';

// Which proof a challenge asks, signed inside the challenge token's 32-bit aux field so a client can neither
// downgrade scrypt to SHA-256 nor pick cheaper parameters:
//   bits 0..7 difficulty, 8..15 p, 16..23 r, 24..31 log2(N); all upper bytes zero = SHA-256 (older tokens too).
// scrypt proof: a decimal counter such that scrypt(password "<challenge>:<counter>", salt "<challenge>", N, r, p,
// 32 bytes) starts with `bits` zero bits. Every guess needs 128·N·r bytes of memory, which a GPU cannot spread
// over thousands of cores as it does SHA-256; the price is a server check of milliseconds, bounded below.

export type ProofSpec =
  | { readonly alg: 'sha256'; readonly bits: number }
  | { readonly alg: 'scrypt'; readonly bits: number; readonly n: number; readonly r: number; readonly p: number };

export type ScryptSpec = Extract<ProofSpec, { alg: 'scrypt' }>;

/** Parameter bounds, shared by the config schema, the token decoder and the clients. */
export const SCRYPT_BOUNDS = { log2n: [10, 14], r: [1, 16], p: [1, 4] } as const;

const inRange = (v: number, [lo, hi]: readonly [number, number]) => Number.isInteger(v) && v >= lo && v <= hi;

export function encodeProof(s: ProofSpec): number {
  if (s.alg === 'sha256') return s.bits & 255;
  return ((Math.log2(s.n) << 24) | (s.r << 16) | (s.p << 8) | (s.bits & 255)) >>> 0;
}

/** undefined for a value no gateway issues (bounds checked even though the token is signed). */
export function decodeProof(aux: number): ProofSpec | undefined {
  const bits = aux & 255;
  if (bits > 32) return undefined;
  if (aux >>> 8 === 0) return { alg: 'sha256', bits };
  const log2n = aux >>> 24;
  const r = (aux >>> 16) & 255;
  const p = (aux >>> 8) & 255;
  if (!inRange(log2n, SCRYPT_BOUNDS.log2n) || !inRange(r, SCRYPT_BOUNDS.r) || !inRange(p, SCRYPT_BOUNDS.p)) {
    return undefined;
  }
  return { alg: 'scrypt', bits, n: 2 ** log2n, r, p };
}

/** One scrypt guess on libuv's thread pool (never scryptSync on the event loop). */
export function scryptHash(challenge: string, counter: string, s: ScryptSpec): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      `${challenge}:${counter}`,
      challenge,
      32,
      { N: s.n, r: s.r, p: s.p, maxmem: 256 * s.n * s.r * s.p + (1 << 20) },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

export interface ScryptVerifier {
  /** maxInFlight checks already run: the caller answers 503 and keeps the challenge usable. */
  busy(): boolean;
  /** 'busy' as above; otherwise the check runs (a malformed counter fails without one). */
  check(challenge: string, counter: string, s: ScryptSpec): Promise<boolean> | 'busy';
  inFlight(): number;
}

/** Bounds how many scrypt checks run at once, so /.rempart/verify cannot take the thread pool or the CPU. */
export function createScryptVerifier(maxInFlight: () => number): ScryptVerifier {
  let running = 0;
  return {
    busy: () => running >= maxInFlight(),
    check(challenge, counter, s) {
      if (running >= maxInFlight()) return 'busy';
      if (!isCounter(counter)) return Promise.resolve(false);
      running++;
      return scryptHash(challenge, counter, s).then(
        (h) => {
          running--;
          return leadingZeroBits(h) >= s.bits;
        },
        () => {
          running--;
          return false;
        },
      );
    },
    inFlight: () => running,
  };
}
