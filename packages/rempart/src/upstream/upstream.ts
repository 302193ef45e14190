import type { Client } from 'undici';
import type { UpstreamConfig } from '../config/schema.ts';
import type { Clock } from '../core/clock.ts';
import type { ForwardJob, JobHost, Outcome } from './forward.ts';
import { H1Pool } from './h1-pool.ts';
import {
  type HealthEvent,
  type HealthParams,
  type HealthState,
  type HealthStatus,
  healthStatus,
  newHealthState,
  recordProbe,
  recordResult,
} from './health.ts';

// One upstream: its bounded H1Pool, the FIFO of requests waiting for a connection (each with a deadline), its
// passive and active health, and the counters behind /metrics and the admin API. upstreams.ts routes requests
// to these by name.

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

export class Upstream implements JobHost {
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
