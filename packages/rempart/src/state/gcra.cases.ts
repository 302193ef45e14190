import type { GcraParams } from './store.ts';

// The one table of GCRA cases: run against gcra() (gcra.test.ts) and, through the Store contract, against
// every backend. A step is one consume at time `at` (ms from the start) with an expected outcome.

export interface GcraStep {
  readonly at: number;
  readonly cost?: number;
  readonly allowed: boolean;
  /** Expected retryAfterMs when refused (compared to 1e-3 ms). */
  readonly retryAfterMs?: number;
  readonly remaining?: number;
}

export interface GcraCase {
  readonly name: string;
  readonly params: GcraParams;
  readonly steps: readonly GcraStep[];
}

const perSecond = (rate: number, burst: number): GcraParams => ({ emissionMs: 1000 / rate, burst });

export const GCRA_CASES: readonly GcraCase[] = [
  {
    name: 'burst 0 allows one request then one per interval',
    params: perSecond(1, 0),
    steps: [
      { at: 0, allowed: true, remaining: 0 },
      { at: 0, allowed: false, retryAfterMs: 1000, remaining: 0 },
      { at: 999, allowed: false, retryAfterMs: 1 },
      { at: 1000, allowed: true, remaining: 0 },
    ],
  },
  {
    name: 'burst 2 allows three at once, then refuses',
    params: perSecond(10, 2),
    steps: [
      { at: 0, allowed: true, remaining: 2 },
      { at: 0, allowed: true, remaining: 1 },
      { at: 0, allowed: true, remaining: 0 },
      { at: 0, allowed: false, retryAfterMs: 100 },
      { at: 50, allowed: false, retryAfterMs: 50 },
      { at: 100, allowed: true, remaining: 0 },
    ],
  },
  {
    name: 'a refusal writes nothing (hammering does not push the client further back)',
    params: perSecond(1, 0),
    steps: [
      { at: 0, allowed: true },
      { at: 10, allowed: false, retryAfterMs: 990 },
      { at: 20, allowed: false, retryAfterMs: 980 },
      { at: 30, allowed: false, retryAfterMs: 970 },
      { at: 1000, allowed: true },
    ],
  },
  {
    name: 'an idle key refills to the full burst and no more',
    params: perSecond(2, 3),
    steps: [
      { at: 0, allowed: true, remaining: 3 },
      { at: 0, allowed: true, remaining: 2 },
      { at: 60_000, allowed: true, remaining: 3 },
    ],
  },
  {
    name: 'sustained rate exactly at the limit is always allowed',
    params: perSecond(4, 0),
    steps: [
      { at: 0, allowed: true },
      { at: 250, allowed: true },
      { at: 500, allowed: true },
      { at: 750, allowed: true },
      { at: 800, allowed: false, retryAfterMs: 200 },
    ],
  },
  {
    name: 'fractional rates do not drift (3 per second)',
    params: perSecond(3, 0),
    steps: [
      { at: 0, allowed: true },
      { at: 1000 / 3, allowed: true },
      { at: 2000 / 3, allowed: true },
      { at: 1000, allowed: true },
      { at: 1001, allowed: false },
    ],
  },
  {
    name: 'cost above one consumes several cells',
    params: perSecond(10, 4),
    steps: [
      { at: 0, cost: 3, allowed: true, remaining: 2 },
      { at: 0, cost: 3, allowed: false, retryAfterMs: 100 },
      { at: 0, cost: 2, allowed: true, remaining: 0 },
    ],
  },
];
