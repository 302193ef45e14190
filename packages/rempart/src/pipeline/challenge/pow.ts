import { createHash } from 'node:crypto';

// The proof: a decimal counter such that SHA-256("<challenge>:<counter>") starts with `bits` zero bits.
// Finding it takes 2^bits hashes on average; checking it takes one.
//
// The memory-hard alternative (scrypt, `challenge.proof: scrypt`) is in proof.ts; this one stays the default:
// checking it costs ~1 µs, so /.rempart/verify needs no bound of its own.

export const MAX_COUNTER_CHARS = 16;

export function leadingZeroBits(h: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < h.length; i++) {
    const b = h[i];
    if (b === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(b) - 24;
  }
  return n;
}

/** A decimal counter of at most MAX_COUNTER_CHARS digits (both proofs). */
export function isCounter(counter: string): boolean {
  if (counter.length === 0 || counter.length > MAX_COUNTER_CHARS) return false;
  for (let i = 0; i < counter.length; i++) {
    const c = counter.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export function checkProof(challenge: string, counter: string, bits: number): boolean {
  if (!isCounter(counter)) return false;
  const h = createHash('sha256').update(challenge).update(':').update(counter).digest();
  return leadingZeroBits(h) >= bits;
}

/** Server-side solver, for tests and the Node client. */
export function solve(challenge: string, bits: number, limit = 2 ** 32): string | undefined {
  for (let i = 0; i < limit; i++) {
    const c = String(i);
    if (leadingZeroBits(createHash('sha256').update(`${challenge}:${c}`).digest()) >= bits) return c;
  }
  return undefined;
}
