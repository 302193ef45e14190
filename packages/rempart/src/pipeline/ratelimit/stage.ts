import type { DistinctResult, RateResult } from '../../state/store.ts';
import { noteRefusal } from '../ban/stage.ts';
import { type LimitRule, routeOf } from '../route/compile.ts';
import { recordDryRun } from '../run.ts';
import { type Deps, PASS, type RequestCtx, type Stage, type Verdict } from '../types.ts';
import { decideDistinct, decideRate, type RateDecision } from './decide.ts';

// Applies the route's precomputed rules in order, at the allowance of the current detection mode. Each rule asks the store (GCRA or distinct set); the first
// enforced refusal answers 429 and counts toward auto-ban; dry-run refusals are traced and the walk goes on.
// Synchronous with the memory store; with a remote store it continues asynchronously from the first promise.

const STAGE = 'ratelimit';

type Answer = RateResult | DistinctResult;

/** Asks the store for one rule; undefined when the rule does not apply to this request. */
function ask(r: LimitRule, ctx: RequestCtx, deps: Deps, now: number): Answer | Promise<Answer> | undefined {
  if (r.methods !== undefined && !r.methods.has(ctx.method)) return undefined;
  const key = r.key(ctx);
  if (key === undefined) return undefined;
  const mode = deps.snapshot.mode;
  if (r.kind === 'rate') return deps.store.consumeRate(key, now, 1, r.paramsByMode[mode]);
  const member = r.member(ctx);
  if (member === undefined) return undefined;
  return deps.store.addDistinct(key, member, now, r.windowMs, r.limitByMode[mode]);
}

/** Verdict of one answered rule; PASS lets the walk go on. */
function conclude(r: LimitRule, a: Answer, ctx: RequestCtx, deps: Deps): Verdict {
  const d: RateDecision = r.kind === 'rate' ? decideRate(r, a as RateResult) : decideDistinct(r, a as DistinctResult);
  if (d.wouldLimit) {
    recordDryRun(ctx, STAGE, r.rule, 'limit');
    return PASS;
  }
  if (d.verdict.kind !== 'pass') noteRefusal(ctx, deps);
  return d.verdict;
}

async function finishAsync(
  rules: readonly LimitRule[],
  from: number,
  first: Promise<Answer>,
  ctx: RequestCtx,
  deps: Deps,
  now: number,
): Promise<Verdict> {
  for (let i = from; i < rules.length; i++) {
    const pending = i === from ? first : ask(rules[i], ctx, deps, now);
    if (pending === undefined) continue;
    let a: Answer;
    try {
      a = await pending;
    } catch {
      // State unavailable: fail open for this rule (a shield that refuses everyone is the outage) and say so.
      ctx.trace.push({ stage: STAGE, kind: 'pass', rule: `${rules[i].rule}:state-error` });
      continue;
    }
    const v = conclude(rules[i], a, ctx, deps);
    if (v.kind !== 'pass') return v;
  }
  return PASS;
}

export const ratelimitStage: Stage = {
  name: STAGE,
  run(ctx, deps) {
    if (ctx.allowListed) return PASS;
    const rules = routeOf(ctx, deps.policy.routes).limits;
    if (rules.length === 0) return PASS;
    const now = deps.clock.now();
    for (let i = 0; i < rules.length; i++) {
      const a = ask(rules[i], ctx, deps, now);
      if (a === undefined) continue;
      if (a instanceof Promise) return finishAsync(rules, i, a, ctx, deps, now);
      const v = conclude(rules[i], a, ctx, deps);
      if (v.kind !== 'pass') return v;
    }
    return PASS;
  },
};
