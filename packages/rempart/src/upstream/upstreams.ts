import type { Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/schema.ts';
import { CidrSet } from '../core/ip-prefix.ts';
import type { AnyRequest } from '../listeners/types.ts';
import { createOriginFetch, type FetchFromOrigin } from '../pipeline/cache/origin.ts';
import { type AnyResponse, writeError } from '../pipeline/respond.ts';
import type { RequestCtx } from '../pipeline/types.ts';
import { type ForwardHooks, ForwardJob, hasRequestBody } from './forward.ts';
import { admit, healthStatus, retryAfterS } from './health.ts';
import { buildRequestHeaders } from './request-headers.ts';
import { Upstream, type UpstreamStats, type UpstreamsOptions } from './upstream.ts';

export type { UpstreamLog, UpstreamStats, UpstreamsOptions } from './upstream.ts';

// One bounded H1Pool (our HTTP/1.1 client, h1-pool.ts) per upstream. The gateway never lets the pool queue
// forwards: at most max_connections requests are dispatched, the rest wait in our own FIFO with a deadline
// (headers_timeout_ms) and a length cap, so a stalled origin costs a bounded number of sockets and queued
// requests, each answered 504 or 503 in time. The micro-cache's buffered GETs share the pool (and may wait
// in its own bounded queue). Health probes keep a separate undici Client: a few requests a second, and a
// probe must not take, nor wait for, a connection the traffic needs.

export interface Upstreams {
  /**
   * Sends the request to upstream `name` and streams the answer into `res`; settles through
   * hooks.onSettled, exactly once, possibly before returning (unknown or refused upstream). `body` is the
   * request body when the server already read it (form rules): sent instead of the now drained request
   * stream, under the client's Content-Length, which still describes these bytes.
   */
  forward(name: string, req: AnyRequest, res: AnyResponse, ctx: RequestCtx, hooks?: ForwardHooks, body?: Buffer): void;
  /**
   * The micro-cache's buffered GET for this upstream, through its pool and with the same forwarding headers;
   * rejects at once while the upstream is down or ejected so the cache can serve stale instead.
   */
  originFetch(name: string): FetchFromOrigin | undefined;
  isHealthy(name: string): boolean;
  stats(): UpstreamStats[];
  close(): Promise<void>;
}

export function createUpstreams(configs: readonly UpstreamConfig[], opts: UpstreamsOptions): Upstreams {
  const map = new Map<string, Upstream>();
  for (const c of configs) map.set(c.name, new Upstream(c, opts));
  const trusted = new CidrSet(opts.trustedProxies ?? []);
  const stripHeaders = opts.stripHeaders;
  // The peer's trust is asked per request but seldom changes from one request to the next (keep-alive runs, a
  // load balancer in front): the last answer is kept, since CidrSet.match parses the address every time.
  let lastPeer = '';
  let lastTrusted = false;
  const factsOf = (ctx: RequestCtx) => {
    if (ctx.peerIp !== lastPeer) {
      lastTrusted = trusted.match(ctx.peerIp) !== undefined;
      lastPeer = ctx.peerIp;
    }
    return { peerTrusted: lastTrusted, strip: stripHeaders?.() };
  };

  function forward(
    name: string,
    req: AnyRequest,
    res: AnyResponse,
    ctx: RequestCtx,
    hooks?: ForwardHooks,
    body?: Buffer,
  ): void {
    const up = map.get(name);
    if (up === undefined || up.closed) {
      writeError(res, ctx, 502);
      hooks?.onSettled?.(ctx, res, { outcome: 'upstream-error', status: 502, upstreamMs: 0, retried: 0 });
      return;
    }
    up.counts.requests++;
    const now = opts.clock.mono();
    const admitted = admit(up.health, now);
    if (admitted === 'refuse') {
      up.counts.refused++;
      const wait = retryAfterS(up.health, now, up.cfg.health?.interval_ms ?? 1_000);
      writeError(res, ctx, 503, { retryAfterS: wait });
      hooks?.onSettled?.(ctx, res, { outcome: 'unhealthy', status: 503, upstreamMs: 0, retried: 0 });
      return;
    }
    const dispatchOpts: Dispatcher.DispatchOptions = {
      path: up.basePath + ctx.path + (ctx.query === '' ? '' : '?' + ctx.query),
      method: ctx.method as Dispatcher.HttpMethod,
      headers: buildRequestHeaders(req.headers, ctx, factsOf(ctx)),
      body: body ?? (hasRequestBody(req) ? req : null),
    };
    up.submit(new ForwardJob(up, req, res, ctx, hooks, dispatchOpts, admitted === 'trial', now));
  }

  const fetchers = new Map<string, FetchFromOrigin>();
  for (const up of map.values()) {
    const fetch = createOriginFetch({
      origin: up.origin + up.basePath,
      dispatcher: up.dispatcher,
      headersTimeoutMs: up.cfg.headers_timeout_ms,
      bodyTimeoutMs: up.cfg.body_timeout_ms,
      requestHeaders: (ctx) => buildRequestHeaders(ctx.headers, ctx, factsOf(ctx)),
    });
    fetchers.set(up.name, (ctx, r) => {
      if (up.closed || healthStatus(up.health, opts.clock.mono()) !== 'up')
        return Promise.reject(new Error(`upstream ${up.name} is not healthy`));
      up.counts.requests++;
      return fetch(ctx, r);
    });
  }

  return {
    forward,
    originFetch: (name) => fetchers.get(name),
    isHealthy(name) {
      const up = map.get(name);
      return up !== undefined && healthStatus(up.health, opts.clock.mono()) === 'up';
    },
    stats() {
      const out: UpstreamStats[] = [];
      for (const up of map.values()) out.push(up.stats());
      return out;
    },
    async close() {
      await Promise.all([...map.values()].map((u) => u.close()));
    },
  };
}
