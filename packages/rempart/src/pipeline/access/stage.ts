import type { RequestCtx, Stage } from '../types.ts';
import { decideRequestAccess } from './decide.ts';

export const accessStage: Stage = {
  name: 'access',
  run(ctx, deps) {
    const d = decideRequestAccess(
      { ip: ctx.client?.ip ?? ctx.peerIp, headers: ctx.headers, clientCert: ctx.clientCert },
      deps.policy.access,
    );
    if (d.allowListed) {
      ctx.allowListed = true;
      // Why, for the explain API, rempart_decisions_total and the access log (the CN is no metric label).
      ctx.trace.push(
        d.detail === undefined
          ? { stage: 'access', kind: 'pass', rule: d.rule }
          : { stage: 'access', kind: 'pass', rule: d.rule, detail: d.detail },
      );
    }
    return d.verdict;
  },
};

/** The rule that allow-listed the request (access/allow-…), or undefined. */
export function allowRuleOf(ctx: Pick<RequestCtx, 'allowListed' | 'trace'>): string | undefined {
  if (ctx.allowListed !== true) return undefined;
  for (const t of ctx.trace) if (t.stage === 'access' && t.rule !== undefined) return t.rule;
  return undefined;
}
