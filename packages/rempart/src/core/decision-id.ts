import { randomBytes } from 'node:crypto';

// Decision ids must be unique across processes and restarts, cheap to make (no crypto per request),
// and short enough for a header and a support ticket: a random per-process prefix plus a counter.
const PREFIX = randomBytes(4).toString('hex');
let counter = 0;

export function newDecisionId(): string {
  counter = (counter + 1) % 0x7fffffff;
  return PREFIX + counter.toString(36).padStart(6, '0');
}
