import type { Clock } from '../../core/clock.ts';
import { type Deps, PASS, type RequestCtx, type RouteClass, type Stage, type Verdict } from '../types.ts';
import { type AdmissionController, isShed, type Shed, type Ticket } from './controller.ts';

// The admission Stage: the last stage before the origin. On pass it sets ctx.release, which the pipeline calls
// exactly once in its finally (later calls do nothing); on shed it answers 503 with Retry-After.

export interface AdmissionControllers {
  get(upstream: string): AdmissionController | undefined;
}

export interface AdmissionStageOptions {
  readonly controllers: AdmissionControllers;
  readonly clock: Clock;
  /** Seconds advertised in Retry-After when shedding; default: deps.policy.config.admission.retry_after_s. */
  readonly retryAfterS?: () => number;
  /** The micro-cache holds an answer for this request: it needs no origin slot. */
  readonly cached?: (ctx: RequestCtx) => boolean;
  /** The mode's policy sheds `bulk` requests the cache cannot answer (detect modes.*.shed_bulk). */
  readonly shedBulk?: () => boolean;
  /**
   * Clients known before the attack (clearance, logged-in session, visitor pass): outside normal mode the bulk
   * shedding spares them and their bulk requests queue as normal. Asked only for uncached bulk requests then.
   */
  readonly priority?: (ctx: RequestCtx) => boolean;
}

export type Gate = 'acquire' | 'skip' | 'shed';

/**
 * Before asking for a slot: a cached answer needs none; in a shed-bulk mode an uncached bulk request from an
 * unknown client gets none. Known clients still queue for a slot, where real overload sheds bulk first anyway.
 */
export function decideGate(cls: RouteClass, cached: boolean, shedBulk: boolean, priority: boolean): Gate {
  if (cached) return 'skip';
  if (shedBulk && cls === 'bulk' && !priority) return 'shed';
  return 'acquire';
}

/**
 * The queue a request waits in. While the mode is raised a known client's bulk request waits with the normal
 * ones: under real overload the flood's bulk requests are shed first, the searches of people who were already
 * here are not.
 */
export function queueClass(cls: RouteClass, known: boolean): RouteClass {
  return known && cls === 'bulk' ? 'normal' : cls;
}

type ShedVerdicts = Record<RouteClass | 'mode-bulk', Verdict>;

function shedVerdicts(retryAfterS: number): ShedVerdicts {
  const v = (name: string): Verdict =>
    Object.freeze({ kind: 'limit', status: 503, rule: `admission/${name}`, retryAfterS });
  return {
    critical: v('shed-critical'),
    normal: v('shed-normal'),
    static: v('shed-static'),
    bulk: v('shed-bulk'),
    'mode-bulk': v('mode-shed-bulk'),
  };
}

export function createAdmissionStage(o: AdmissionStageOptions): Stage {
  // Verdicts are prebuilt and rebuilt only when retry_after_s changes (config reload).
  let cachedFor = -1;
  let verdicts = shedVerdicts(0);
  const shedVerdict = (which: RouteClass | 'mode-bulk', deps: Deps): Verdict => {
    const r = o.retryAfterS?.() ?? deps.policy.config.admission.retry_after_s;
    if (r !== cachedFor) {
      cachedFor = r;
      verdicts = shedVerdicts(r);
    }
    return verdicts[which];
  };
  const admit = (ctx: RequestCtx, deps: Deps, c: AdmissionController, t: Ticket | Shed): Verdict => {
    if (isShed(t)) return shedVerdict(t.cls, deps);
    ctx.release = (how) => c.release(t, how);
    return PASS;
  };

  return {
    name: 'admission',
    run(ctx, deps) {
      const upstream = ctx.route?.upstream;
      const c = upstream === undefined ? undefined : o.controllers.get(upstream);
      if (c === undefined) return PASS;
      const cls = ctx.routeClass ?? ctx.route?.routeClass ?? 'normal';
      const cached = o.cached?.(ctx) === true;
      const raised = deps?.snapshot !== undefined && deps.snapshot.mode !== 'normal';
      const known = cls === 'bulk' && !cached && raised && o.priority?.(ctx) === true;
      const gate = decideGate(cls, cached, cls === 'bulk' && o.shedBulk?.() === true, known);
      if (gate === 'skip') return PASS;
      if (gate === 'shed') return shedVerdict('mode-bulk', deps);
      const t = c.acquire(queueClass(cls, known), o.clock.mono(), ctx);
      if (t instanceof Promise) return t.then((x) => admit(ctx, deps, c, x));
      return admit(ctx, deps, c, t);
    },
  };
}
