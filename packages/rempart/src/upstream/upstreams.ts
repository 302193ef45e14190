import type { Client, Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/schema.ts';
import type { Clock } from '../core/clock.ts';
import { CidrSet } from '../core/ip-prefix.ts';
import { createOriginFetch, type FetchFromOrigin } from '../pipeline/cache/origin.ts';
import { type AnyResponse, writeError } from '../pipeline/respond.ts';
import type { RequestCtx } from '../pipeline/types.ts';
import {
  type AnyRequest,
  type ForwardHooks,
  ForwardJob,
  hasRequestBody,
  type JobHost,
  type Outcome,
} from './forward.ts';
import { H1Pool } from './h1-pool.ts';
import {
  admit,
  type HealthEvent,
  type HealthParams,
  type HealthState,
  type HealthStatus,
  healthStatus,
  newHealthState,
  recordProbe,
  recordResult,
  retryAfterS,
} from './health.ts';
import { buildRequestHeaders } from './request-headers.ts';

// One bounded H1Pool (our HTTP/1.1 client, h1-pool.ts) per upstream. The gateway never lets the pool queue
// forwards: at most max_connections requests are dispatched, the rest wait in our own FIFO with a deadline
// (headers_timeout_ms) and a length cap, so a stalled origin costs a bounded number of sockets and queued
// requests, each answered 504 or 503 in time. The micro-cache's buffered GETs share the pool (and may wait
// in its own bounded queue). Health probes keep a separate undici Client: a few requests a second, and a
// probe must not take, nor wait for, a connection the traffic needs.

export interface UpstreamLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface UpstreamsOptions {
  clock: Clock;
  log?: UpstreamLog;
  /** config.trusted_proxies: peers whose X-Forwarded-*, Forwarded and X-Request-Id are extended, not replaced. */
  trustedProxies?: readonly string[];
  /** Request headers never sent to an origin (the access tokens' headers); read per request, so reloads apply. */
  stripHeaders?: () => ReadonlySet<string>;
  /** Requests waiting for a free origin connection, per upstream, beyond which new ones get a fast 503. */
  queueLimit?: number;
  /** Passive ejection back-off: first ejection, and the cap as it doubles. */
  ejectBaseMs?: number;
  ejectMaxMs?: number;
}

export interface UpstreamStats {
  name: string;
  status: HealthStatus;
  healthy: boolean;
  since: number;
  inflight: number;
  queued: number;
  requests: number;
  ok: number;
  errors: number;
  timeouts: number;
  clientAborts: number;
  refused: number;
  retries: number;
  consecutiveFailures: number;
  ejections: number;
  pool: { connected: number; free: number; pending: number; running: number; size: number };
}

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

class Upstream implements JobHost {
  readonly name: string;
  readonly cfg: UpstreamConfig;
  readonly dispatcher: H1Pool;
  readonly clock: Clock;
  readonly retries: number;
  readonly origin: string;
  readonly basePath: string;
  readonly params: HealthParams;
  readonly health: HealthState;
  readonly queueLimit: number;
  readonly log: UpstreamLog | undefined;
  inflight = 0;
  queued = 0;
  head: ForwardJob | undefined = undefined;
  tail: ForwardJob | undefined = undefined;
  sweepTimer: NodeJS.Timeout | undefined = undefined;
  probeTimer: NodeJS.Timeout | undefined = undefined;
  probeClient: Client | undefined = undefined;
  probing = false;
  closed = false;
  counts = { requests: 0, ok: 0, errors: 0, timeouts: 0, clientAborts: 0, refused: 0, retries: 0 };
  private readonly sweepBound = () => this.sweep();

  constructor(cfg: UpstreamConfig, opts: UpstreamsOptions) {
    this.name = cfg.name;
    this.cfg = cfg;
    this.clock = opts.clock;
    this.log = opts.log;
    this.retries = cfg.retries;
    this.queueLimit = opts.queueLimit ?? 1024;
    const url = new URL(cfg.url);
    this.origin = url.origin;
    this.basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
    this.dispatcher = new H1Pool(this.origin, {
      connections: cfg.max_connections,
      connectTimeout: cfg.connect_timeout_ms,
      headersTimeout: cfg.headers_timeout_ms,
      bodyTimeout: cfg.body_timeout_ms,
      maxPending: this.queueLimit,
    });
    this.params = {
      active: cfg.health !== undefined,
      unhealthyAfter: cfg.health?.unhealthy_after ?? 3,
      healthyAfter: cfg.health?.healthy_after ?? 2,
      ejectAfterFailures: cfg.eject_after_failures,
      ejectBaseMs: opts.ejectBaseMs ?? 1_000,
      ejectMaxMs: opts.ejectMaxMs ?? 30_000,
    };
    this.health = newHealthState(this.clock.mono());
    if (cfg.health !== undefined) {
      this.probeTimer = setInterval(() => void this.probe(), cfg.health.interval_ms);
      this.probeTimer.unref();
    }
  }

  /** Enqueue or dispatch; called once per request. */
  submit(job: ForwardJob): void {
    if (this.inflight < this.cfg.max_connections && this.head === undefined) {
      this.inflight++;
      job.dispatch();
      return;
    }
    if (this.queued >= this.queueLimit) {
      this.counts.refused++;
      job.refuse(503, 1);
      return;
    }
    job.state = 'queued';
    job.deadline = this.clock.mono() + this.cfg.headers_timeout_ms;
    job.prev = this.tail;
    job.next = undefined;
    if (this.tail) this.tail.next = job;
    else this.head = job;
    this.tail = job;
    this.queued++;
    this.armSweep();
  }

  dequeue(job: ForwardJob): void {
    if (job.prev) job.prev.next = job.next;
    else this.head = job.next;
    if (job.next) job.next.prev = job.prev;
    else this.tail = job.prev;
    job.prev = job.next = undefined;
    this.queued--;
  }

  finish(job: ForwardJob, outcome: Outcome, status: number | undefined, dispatched: boolean): void {
    if (!dispatched) {
      // Settled while waiting (deadline, queue full, client gone): a half-open trial must not stay claimed.
      if (job.trial) this.health.trialInFlight = false;
      return;
    }
    this.inflight--;
    this.counts.retries += job.retried;
    this.count(outcome);
    if (outcome !== 'client-aborted') {
      const ok = outcome === 'ok' && (status === undefined || status < 500);
      // The job's end, read from the clock once when it settled.
      this.note(recordResult(this.health, ok, job.trial, job.startMono + job.upstreamMs, this.params), outcome);
    } else if (job.trial) this.health.trialInFlight = false;
    this.pump();
  }

  count(outcome: Outcome): void {
    const c = this.counts;
    if (outcome === 'ok') c.ok++;
    else if (outcome === 'timeout') c.timeouts++;
    else if (outcome === 'client-aborted') c.clientAborts++;
    else if (outcome === 'upstream-error') c.errors++;
  }

  /** Hands freed connection slots to the oldest waiting requests. */
  pump(): void {
    while (this.head !== undefined && this.inflight < this.cfg.max_connections && !this.closed) {
      const job = this.head;
      this.dequeue(job);
      this.inflight++;
      job.dispatch();
    }
  }

  private armSweep(): void {
    if (this.sweepTimer !== undefined || this.head === undefined) return;
    const wait = Math.max(1, this.head.deadline - this.clock.mono());
    this.sweepTimer = setTimeout(this.sweepBound, wait);
    this.sweepTimer.unref();
  }

  /** The FIFO holds deadlines in order, so expired requests are always at its head. */
  private sweep(): void {
    this.sweepTimer = undefined;
    const now = this.clock.mono();
    while (this.head !== undefined && this.head.deadline <= now) {
      const job = this.head;
      this.dequeue(job);
      this.counts.timeouts++;
      job.expire();
    }
    this.armSweep();
  }

  note(ev: HealthEvent, cause: string): void {
    if (ev === undefined) return;
    const o = {
      upstream: this.name,
      event: ev,
      status: healthStatus(this.health, this.clock.mono()),
      cause,
      consecutiveFailures: this.health.failures,
    };
    if (ev === 'ejected' || ev === 'down') this.log?.warn(o, 'upstream health changed');
    else this.log?.info(o, 'upstream health changed');
  }

  async probe(): Promise<void> {
    const h = this.cfg.health;
    if (h === undefined || this.probing || this.closed) return;
    this.probing = true;
    let ok = false;
    try {
      // undici is loaded with the first probe only: ~20 MB of RSS per thread that a gateway without health
      // checks never needs (each worker thread loads its own modules).
      this.probeClient ??= new (await import('undici')).Client(this.origin, {
        pipelining: 1,
        connectTimeout: h.timeout_ms,
        headersTimeout: h.timeout_ms,
        bodyTimeout: h.timeout_ms,
      });
      if (this.closed) return;
      const r = await this.probeClient.request({
        path: this.basePath + h.path,
        method: 'GET',
        headers: { 'user-agent': 'rempart-health' },
        signal: AbortSignal.timeout(h.timeout_ms),
      });
      await r.body.dump();
      ok = r.statusCode >= 200 && r.statusCode < 400;
    } catch {
      ok = false;
    } finally {
      this.probing = false;
    }
    if (!this.closed)
      this.note(recordProbe(this.health, ok, this.clock.mono(), this.params), ok ? 'probe-ok' : 'probe-failed');
  }

  stats(): UpstreamStats {
    const now = this.clock.mono();
    const status = healthStatus(this.health, now);
    const p = this.dispatcher.stats;
    return {
      name: this.name,
      status,
      healthy: status === 'up',
      since: this.health.since,
      inflight: this.inflight,
      queued: this.queued,
      ...this.counts,
      consecutiveFailures: this.health.failures,
      ejections: this.health.ejections,
      pool: { connected: p.connected, free: p.free, pending: p.pending, running: p.running, size: p.size },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    while (this.head !== undefined) {
      const job = this.head;
      this.dequeue(job);
      job.refuse(503, 1);
    }
    await this.probeClient?.destroy();
    // Requests still running against a stalled origin would hold close() forever: cut them.
    if (this.inflight > 0) await this.dispatcher.destroy();
    else await this.dispatcher.close();
  }
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
