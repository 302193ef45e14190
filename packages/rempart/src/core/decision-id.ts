import { randomBytes } from 'node:crypto';

// Decision ids must be unique across processes and restarts, cheap to make (no crypto per request),
// and short enough for a header and a support ticket: a random per-process prefix plus a counter.
const PREFIX = randomBytes(4).toString('hex');
/** The counter stays below 2^31 - 1, so it fits 6 base-36 digits and an Int32Array. */
const MAX_SEQ = 0x7fffffff;
const DIGITS = 6;
let counter = 0;

export function newDecisionId(): string {
  counter = (counter + 1) % MAX_SEQ;
  return decisionIdOf(counter);
}

/** The id this process made for counter value `seq`. */
export function decisionIdOf(seq: number): string {
  return PREFIX + seq.toString(36).padStart(DIGITS, '0');
}

/**
 * The counter behind an id made by this process, or -1 for any other string (another process, a typo).
 * Reads the digits in place: the decision record calls it on every refusal.
 */
export function decisionSeq(id: string): number {
  if (id.length !== PREFIX.length + DIGITS || !id.startsWith(PREFIX)) return -1;
  let n = 0;
  for (let i = PREFIX.length; i < id.length; i++) {
    const c = id.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 122 ? c - 87 : -1;
    if (d < 0) return -1;
    n = n * 36 + d;
  }
  return n < MAX_SEQ ? n : -1;
}
