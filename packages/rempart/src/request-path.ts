import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Detector } from './detect/detector.ts';
import { checkRequest, isH2Request } from './listeners/hygiene.ts';
import { type BodyGuard, guardBody, NO_BODY } from './listeners/slow-guard.ts';
import type { AnyRequest, ConnInfo } from './listeners/types.ts';
import { type DecisionRing, worthRecording } from './obs/decisions.ts';
import type { RempartLog } from './obs/log.ts';
import type { Metrics } from './obs/metrics.ts';
import { allowRuleOf } from './pipeline/access/stage.ts';
import type { CacheOutcome, MicroCache } from './pipeline/cache/micro-cache.ts';
import type { FetchFromOrigin } from './pipeline/cache/origin.ts';
import type { ChallengeModule } from './pipeline/challenge/stage.ts';
import { newCtx } from './pipeline/context.ts';
import { readForm } from './pipeline/form.ts';
import { type AnyResponse, type Responder, writeError } from './pipeline/respond.ts';
import { type CompiledRoute, matchRoute } from './pipeline/route/compile.ts';
import { runPipeline } from './pipeline/run.ts';
import { type Deps, PASS, type RequestCtx, type Stage, type Verdict } from './pipeline/types.ts';
import { abortClient, type ForwardHooks, hasRequestBody } from './upstream/forward.ts';
import type { Upstreams } from './upstream/upstreams.ts';

// One request, accept to last byte, in the order of DESIGN.md: context → hygiene → challenge endpoint →
// route → body guard (→ form fields when a rule reads them) → pipeline → gateway answer | cache | upstream →
// accounting (metrics, decision ring, sampled log, detector). Everything here is wiring: each decision is
// made by the module named in the call.

export interface RequestPathParts {
  readonly deps: Deps;
  /** Rebuilt on reload when the detector or a stage's settings change. */
  stages: readonly Stage[];
  readonly responder: Responder;
  readonly challenge: ChallengeModule;
  /** Replaced whole when the cache section of the configuration changes. */
  cache: MicroCache;
  /** Replaced whole when the upstreams change. */
  upstreams: Upstreams;
  /** Replaced whole when the detect section changes; undefined when detection is off. */
  detector: Detector | undefined;
  readonly metrics: Metrics;
  readonly decisions: DecisionRing;
  readonly log: RempartLog;
  /** Told of every response the origin started, with its headers (known-session learning). */
  readonly onOriginResponse?: (ctx: RequestCtx, status: number, headers: IncomingHttpHeaders) => void;
}

export type RequestHandler = (req: AnyRequest, res: AnyResponse, info: ConnInfo) => void;

/** Status and verdict of requests answered before the pipeline (hygiene, body limits). */
const HYGIENE = 'hygiene';

export function createRequestPath(p: RequestPathParts): RequestHandler {
  const { deps, metrics, decisions, log } = p;

  /** Shared by every forwarded request: frees the admission slot when the origin's answer starts. */
  const forwardHooks: ForwardHooks = {
    onResponseStart(ctx, status, _ms, headers) {
      // The origin's work is done when its headers arrive; a slow-reading client must not hold an origin slot.
      ctx.release?.('done');
      p.onOriginResponse?.(ctx, status, headers);
    },
    onSettled(ctx, res, r) {
      // A timeout teaches the adaptive limit (the origin is slow); errors and aborts do not.
      ctx.release?.(r.outcome === 'ok' || r.outcome === 'timeout' ? 'done' : 'cancel');
      account(ctx, PASS, (res as ServerResponse).statusCode, r.upstreamMs);
    },
  };

  function account(ctx: RequestCtx, verdict: Verdict, status: number, upstreamMs: number): void {
    const seconds = (deps.clock.mono() - ctx.startedMono) / 1000;
    metrics.recordRequest(verdict.kind, ctx.routeClass ?? 'none', status, seconds);
    for (const t of ctx.trace)
      if (t.rule !== undefined) metrics.recordRule(t.rule, t.dryRun ?? t.kind, t.dryRun !== undefined);
    if (worthRecording(ctx, verdict)) decisions.record(ctx, verdict, status, seconds * 1000);
    if (log.accessEnabled)
      log.line(
        {
          id: ctx.id,
          ip: ctx.client?.ip ?? ctx.peerIp,
          method: ctx.method,
          path: ctx.path,
          route: ctx.route?.name,
          status,
          verdict: verdict.kind,
          rule: verdict.kind === 'pass' ? undefined : verdict.rule,
          allow: allowRuleOf(ctx),
          cache: ctx.cache,
          ms: Math.round(seconds * 1e4) / 10,
        },
        'request',
      );
    // Requests refused before routing (hygiene) are not a traffic mix the detector should learn.
    if (p.detector !== undefined && ctx.route !== undefined)
      p.detector.observeRequest(ctx, verdict.kind, status, upstreamMs);
  }

  /** A gateway-made refusal (hygiene, body limits): answered, closed, accounted. */
  function refuse(res: AnyResponse, ctx: RequestCtx, status: number, rule: string): void {
    const v: Verdict = { kind: 'block', rule, status: 403 };
    ctx.trace.push({ stage: HYGIENE, kind: 'block', rule });
    writeError(res, ctx, status, { rule, close: true });
    account(ctx, v, status, -1);
  }

  function onBodyViolation(res: AnyResponse, ctx: RequestCtx, status: 408 | 413): void {
    if (res.headersSent) {
      // Too late for a status (the origin is answering): cut the stream, the forward settles as aborted.
      abortClient(res);
      return;
    }
    refuse(res, ctx, status, status === 413 ? 'limits/body-too-large' : 'limits/body-too-slow');
  }

  function answer(
    req: AnyRequest,
    res: AnyResponse,
    ctx: RequestCtx,
    v: Verdict,
    guard: BodyGuard,
    body: Buffer | undefined,
  ): void {
    if (v.kind !== 'pass') {
      // An unread request body would be read and thrown away by Node to keep the connection: close instead.
      if (!isH2Request(req) && hasRequestBody(req) && !req.readableEnded)
        (res as ServerResponse).shouldKeepAlive = false;
      guard.stop();
      p.responder.verdict(res, ctx, v);
      account(ctx, v, (res as ServerResponse).statusCode, -1);
      return;
    }
    ctx.setCookie = p.challenge.offerPass(ctx, deps);
    const route = ctx.route as CompiledRoute;
    const fetch = p.cache.serves(ctx) ? p.upstreams.originFetch(route.upstream) : undefined;
    if (fetch === undefined) forward(req, res, ctx, route, body);
    else void serveCached(req, res, ctx, route, body, fetch);
  }

  /** Straight to the origin: settles in forwardHooks.onSettled (release, accounting), no promise per request. */
  function forward(
    req: AnyRequest,
    res: AnyResponse,
    ctx: RequestCtx,
    route: CompiledRoute,
    body: Buffer | undefined,
  ): void {
    try {
      p.upstreams.forward(route.upstream, req, res, ctx, forwardHooks, body);
    } catch (err) {
      // forward() reports through onSettled, never by throwing: this is a gateway bug before the hand-over.
      failed(res, ctx, err);
    }
  }

  async function serveCached(
    req: AnyRequest,
    res: AnyResponse,
    ctx: RequestCtx,
    route: CompiledRoute,
    body: Buffer | undefined,
    fetch: FetchFromOrigin,
  ): Promise<void> {
    let outcome: CacheOutcome;
    try {
      outcome = await p.cache.handle(ctx, res, fetch);
    } catch (err) {
      failed(res, ctx, err);
      return;
    }
    ctx.cache = outcome;
    if (outcome === 'bypass') {
      forward(req, res, ctx, route, body);
      return;
    }
    ctx.release?.('done');
    account(ctx, PASS, (res as ServerResponse).statusCode, -1);
  }

  function failed(res: AnyResponse, ctx: RequestCtx, err: unknown): void {
    log.logger.error({ err, id: ctx.id }, 'request failed in the gateway');
    writeError(res, ctx, 500);
    ctx.release?.('cancel');
    account(ctx, PASS, (res as ServerResponse).statusCode, -1);
  }

  function runStages(
    req: AnyRequest,
    res: AnyResponse,
    ctx: RequestCtx,
    guard: BodyGuard,
    body: Buffer | undefined,
  ): void {
    const v = runPipeline(ctx, deps, p.stages);
    if (!(v instanceof Promise)) {
      answer(req, res, ctx, v, guard, body);
      return;
    }
    // Waiting (admission queue, remote state): admission must learn if the client leaves meanwhile.
    res.once('close', () => {
      if (!res.writableFinished) ctx.clientGone = true;
    });
    v.then(
      (verdict) => {
        if (!ctx.clientGone) return answer(req, res, ctx, verdict, guard, body);
        ctx.release?.('cancel');
        guard.stop();
        account(ctx, verdict, 0, -1);
      },
      (err: unknown) => {
        ctx.release?.('cancel');
        log.logger.error({ err, id: ctx.id }, 'pipeline failed');
        writeError(res, ctx, 500);
        account(ctx, { kind: 'block', rule: 'gateway/error', status: 403 }, 500, -1);
      },
    );
  }

  return function onRequest(req, res, info) {
    const policy = deps.policy;
    const limits = policy.config.limits;
    const ctx = newCtx(req, info, deps.clock);
    const problem = checkRequest(req, limits);
    if (problem !== undefined) return refuse(res, ctx, problem.status, `hygiene/${problem.reason}`);
    if (p.challenge.handleChallengeEndpoint(req, res, ctx, deps)) return;
    const route = matchRoute(ctx, policy.routes);
    const withBody = hasRequestBody(req);
    const buffer = route.needsForm && withBody;
    // Most requests (GETs) have no body: no limits object and no violation callback made for them.
    const guard = withBody
      ? guardBody(
          req,
          {
            maxBytes: buffer ? Math.min(route.maxBodyBytes, MAX_FORM_BYTES) : route.maxBodyBytes,
            minRateBps: limits.min_body_rate_bps,
            graceMs: limits.body_rate_grace_ms,
          },
          (status) => onBodyViolation(res, ctx, status),
        )
      : NO_BODY;
    if (guard.violation !== undefined) return;
    if (!buffer) return runStages(req, res, ctx, guard, undefined);
    // A rule reads form fields: the (small) body is read first, parsed once, then sent on as bytes.
    void readForm(req, MAX_FORM_BYTES).then((form) => {
      if (form === undefined || res.writableEnded) return;
      ctx.form = form.fields;
      runStages(req, res, ctx, guard, form.body);
    });
  };
}

/** Routes whose rules read form fields buffer their bodies: this is the most they accept. */
export const MAX_FORM_BYTES = 64 * 1024;
