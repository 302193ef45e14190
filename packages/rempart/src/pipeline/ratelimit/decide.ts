import type { DistinctResult, RateResult } from '../../state/store.ts';
import { PASS, type Verdict } from '../types.ts';

// Pure decisions of the ratelimit stage: what the store answered + the rule → a verdict. The GCRA itself is in
// state/gcra.ts (applied atomically by the store); here only the mapping to what the client sees.

export interface RuleFacts {
  readonly rule: string;
  readonly dryRun: boolean;
}

/** What a refusal would be, and whether it is enforced. */
export interface RateDecision {
  readonly verdict: Verdict;
  /** The rule refused but is in dry-run: trace it, let the request go on. */
  readonly wouldLimit: boolean;
}

const PASSED: RateDecision = { verdict: PASS, wouldLimit: false };

export function retryAfterS(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function refusal(r: RuleFacts, retryMs: number): RateDecision {
  if (r.dryRun) return { verdict: PASS, wouldLimit: true };
  return {
    verdict: { kind: 'limit', rule: r.rule, status: 429, retryAfterS: retryAfterS(retryMs) },
    wouldLimit: false,
  };
}

export function decideRate(r: RuleFacts, res: RateResult): RateDecision {
  return res.allowed ? PASSED : refusal(r, res.retryAfterMs);
}

export function decideDistinct(r: RuleFacts, res: DistinctResult): RateDecision {
  return res.exceeded ? refusal(r, res.retryAfterMs) : PASSED;
}
