import { PASS, type RequestCtx, type Stage, type Verdict } from '../pipeline/types.ts';
import type { RateResult } from '../state/store.ts';
import type { Detector, ShapeAction } from './detector.ts';
import { requestShape } from './facts.ts';

// The per-shape stage: in elevated/under-attack, requests whose shape the detector ranked as
// over-represented are challenged, rate-limited (GCRA keyed on the shape, summed across every IP of the
// botnet) or blocked, as the detector's escalation says. Clients in the priority lane (a valid clearance
// or a logged-in session, known before the attack) and allow-listed clients are never shape-limited. In normal mode, or when no
// shape is flagged, the stage costs one map-size check.

export interface ShapeStageOptions {
  /**
   * True when the request carries a credential proven valid by an earlier stage (clearance cookie,
   * session, app device key). Presence of a cookie is not enough: bots can send any cookie.
   */
  isPriority: (ctx: RequestCtx) => boolean;
}

function limited(a: ShapeAction, r: RateResult): Verdict {
  if (r.allowed) return PASS;
  return { kind: 'limit', rule: a.rule, status: 429, retryAfterS: Math.max(1, Math.ceil(r.retryAfterMs / 1000)) };
}

export function createShapeStage(detector: Detector, opts: ShapeStageOptions): Stage {
  return {
    name: 'detect',
    run(ctx, deps) {
      const shapes = detector.snapshot.shapes;
      // Allow-listed clients (monitoring, partners) are out of every automatic action, as out of limits and bans.
      if (shapes.size === 0 || ctx.allowListed === true) return PASS;
      const a = shapes.get(requestShape(ctx).shapeKey);
      if (a === undefined || opts.isPriority(ctx)) return PASS;
      a.hits.n++;
      if (a.dryRun) {
        ctx.trace.push({ stage: 'detect', kind: 'pass', rule: a.rule, dryRun: a.action });
        return PASS;
      }
      switch (a.action) {
        case 'challenge':
          return { kind: 'challenge', rule: a.rule, difficulty: a.difficulty };
        case 'block':
          return { kind: 'block', rule: a.rule, status: 403 };
        case 'limit': {
          const r = deps.store.consumeRate(`shape:${a.id}`, deps.clock.now(), 1, a.rate);
          return r instanceof Promise ? r.then((x) => limited(a, x)) : limited(a, r);
        }
      }
    },
  };
}
