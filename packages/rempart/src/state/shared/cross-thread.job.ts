import type { SharedStoreHandle } from './handle.ts';
import type { SharedLedgerHandle } from './shared-ledger.ts';

// What cross-thread.test.ts hands each worker (cross-thread.worker.ts) and the figures both sides agree on.

export interface CrossThreadJob {
  readonly task: 'rate' | 'distinct' | 'events' | 'once' | 'spend' | 'bans' | 'flip-writer' | 'flip-reader';
  readonly index: number;
  readonly workers: number;
  readonly n: number;
  readonly store: SharedStoreHandle;
  readonly ledger: SharedLedgerHandle;
  /** Int32 words: 0 start flag, 1 bans written, 2 writer done (flip), 3 bans looked up, 4 bans lifted,
   *  5 readers started (flip). */
  readonly sync: SharedArrayBuffer;
}

export const T0 = 1_700_000_000_000;
export const HOT_RATE = { emissionMs: 1, burst: 49_999 }; // at one instant: exactly 50,000 allowed
export const DISTINCT_LIMIT = 50;
export const SPEND_BUDGET = 10_000;
export const FLIP = [
  { target: '198.51.100.9', reason: 'a'.repeat(100), rule: 'ban/a', createdAt: T0, expiresAt: T0 + 1_000 },
  { target: '198.51.100.9', reason: 'b'.repeat(7), rule: 'ban/bee', createdAt: T0 + 5, expiresAt: T0 + 2_000 },
];
