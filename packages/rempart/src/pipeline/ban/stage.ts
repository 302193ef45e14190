import { recordDryRun } from '../run.ts';
import { type Deps, PASS, type RequestCtx, type Stage } from '../types.ts';
import { type AutoBanRule, autoBanEntry, banCountKey, decideBan, overThreshold, refusalKey } from './decide.ts';

export const banStage: Stage = {
  name: 'ban',
  run(ctx, deps) {
    if (ctx.allowListed) return PASS;
    const now = deps.clock.now();
    const ip = ctx.client?.ip ?? ctx.peerIp;
    const store = deps.store;
    let e = store.banned(ip, now);
    if (e === undefined && ctx.client !== undefined) e = store.banned(ctx.client.prefix, now);
    return decideBan(e, false);
  },
};

const ignore = () => {};

function applyAutoBan(ctx: RequestCtx, deps: Deps, r: AutoBanRule, target: string, now: number, count: number): void {
  if (!overThreshold(count, r)) return;
  if (r.dryRun) {
    recordDryRun(ctx, 'ban', r.rule, 'block');
    return;
  }
  // A refusal still in flight when the ban was written is not a new offence.
  const store = deps.store;
  if (store.banned(target, now) !== undefined) return;
  const write = (bans: number) => {
    const w = store.ban(autoBanEntry(target, now, r, bans - 1));
    if (w instanceof Promise) w.catch(ignore);
  };
  const n = store.countEvent(banCountKey(target), now, r.escalateWindowMs);
  if (typeof n === 'number') write(n);
  else n.then(write, ignore);
}

/**
 * Called by the ratelimit stage after each enforced refusal: counts it and bans the client (ip or prefix per
 * the rule) past the threshold. Never delays the 429: a remote store is not awaited.
 */
export function noteRefusal(ctx: RequestCtx, deps: Deps): void {
  const r = deps.policy.autoBan;
  if (r === undefined) return;
  const target = r.scope === 'prefix' ? (ctx.client?.prefix ?? ctx.peerIp) : (ctx.client?.ip ?? ctx.peerIp);
  const now = deps.clock.now();
  const n = deps.store.countEvent(refusalKey(target), now, r.windowMs);
  if (typeof n === 'number') applyAutoBan(ctx, deps, r, target, now, n);
  // State backend down: no auto-ban this time; the limit itself was still answered.
  else n.then((c) => applyAutoBan(ctx, deps, r, target, now, c), ignore);
}
