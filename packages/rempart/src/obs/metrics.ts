import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { AdmissionState } from '../pipeline/admission/controller.ts';
import type { DetectSnapshot } from '../pipeline/types.ts';
import { lockTakeovers } from '../state/shared/bucket-lock.ts';
import type { TableSizes } from '../state/store.ts';
import { CellHistogram } from './cell-histogram.ts';
import { LATENCY_CELLS, newRequestTally, newRuleTally, requestRecorder, ruleRecorder } from './request-recorders.ts';

// Every metric of the gateway, in one table, on its own Registry. Names: rempart_<area>_<thing>_<unit>.
// The per-request metrics (requests, their latency, matched rules) are counted in typed arrays by
// recordRequest/recordRule and handed to prom-client at scrape time: no label hashing per request. Gauges
// about live state are read at scrape time from the sources bound below.

/** Live sources read at scrape time; each is optional so a part can be wired before the others exist. */
export interface MetricSources {
  admission?: () => readonly AdmissionState[];
  tables?: () => TableSizes;
  bans?: () => number;
  /** Remote state backends only: linked to Redis now, and how many times it fell back to local state. */
  stateRemote?: () => { connected: boolean; fallbacks: number } | undefined;
  connections?: () => Readonly<Record<string, number>>;
  /** Per listener: connections refused at accept (over the global or per-IP cap, PROXY header rejected). */
  listenerStats?: () => Readonly<
    Record<
      string,
      { refusedOverTotal: number; refusedOverIp: number; proxyRejected: number; h2SessionsClosedForAbuse: number }
    >
  >;
  upstreamHealthy?: () => Readonly<Record<string, boolean>>;
  detect?: () => DetectSnapshot;
}

const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const MODES = ['normal', 'elevated', 'under-attack'] as const;

export interface MetricsOptions {
  /**
   * Process-wide metrics (CPU, memory, event loop): once per process. Worker threads leave them to the main
   * thread, whose /metrics adds the workers' registries up (each metric's `aggregator` says how: shared
   * tables and the protection mode are the same in every worker, requests and connections add up).
   */
  readonly processMetrics?: boolean;
}

export function createMetrics(o: MetricsOptions = {}) {
  const registry = new Registry();
  let sources: MetricSources = {};
  const r = [registry];

  // Counted per request in tallies (no label hashing), added to the counters when they are scraped.
  const requestTally = newRequestTally();
  const ruleTally = newRuleTally();

  const m = {
    registry,
    requests: new Counter({
      name: 'rempart_http_requests_total',
      help: 'Requests answered, by verdict (pass, challenge, limit, block), route class and status.',
      labelNames: ['verdict', 'class', 'status'] as const,
      registers: r,
      collect() {
        requestTally.flush(this);
      },
    }),
    requestDuration: new CellHistogram({
      name: 'rempart_http_request_duration_seconds',
      help: 'Time from accept to the last byte of the response, by verdict and route class.',
      buckets: LATENCY_BUCKETS_S,
      cells: LATENCY_CELLS,
    }).registerOn(registry),
    decisions: new Counter({
      name: 'rempart_decisions_total',
      help: 'Rules that matched, by rule id and verdict kind; dry_run="true" when the rule only observed.',
      labelNames: ['rule', 'kind', 'dry_run'] as const,
      registers: r,
      collect() {
        ruleTally.flush(this);
      },
    }),
    connectionsRefused: new Counter({
      name: 'rempart_listener_connections_refused_total',
      help: 'Connections refused at accept, by reason (over-total, over-ip, proxy-header), and HTTP/2 sessions closed for abuse (h2-abuse).',
      labelNames: ['listener', 'reason'] as const,
      registers: r,
      collect() {
        const all = sources.listenerStats?.();
        if (all === undefined) return;
        // The listeners own the counts; the metric mirrors them at scrape time.
        this.reset();
        for (const [listener, s] of Object.entries(all)) {
          this.inc({ listener, reason: 'over-total' }, s.refusedOverTotal);
          this.inc({ listener, reason: 'over-ip' }, s.refusedOverIp);
          this.inc({ listener, reason: 'proxy-header' }, s.proxyRejected);
          this.inc({ listener, reason: 'h2-abuse' }, s.h2SessionsClosedForAbuse);
        }
      },
    }),
    connectionsOpen: new Gauge({
      name: 'rempart_listener_connections_open',
      help: 'Connections open now, per listener.',
      labelNames: ['listener'] as const,
      registers: r,
      collect() {
        const c = sources.connections?.();
        if (c === undefined) return;
        this.reset();
        for (const [listener, n] of Object.entries(c)) this.set({ listener }, n);
      },
    }),
    upstreamLimit: new Gauge({
      name: 'rempart_upstream_concurrency_limit_requests',
      help: 'Adaptive concurrency limit per upstream (gradient controller).',
      labelNames: ['upstream'] as const,
      registers: r,
      collect() {
        const a = sources.admission?.();
        if (a === undefined) return;
        this.reset();
        for (const s of a) this.set({ upstream: s.upstream }, s.limit);
      },
    }),
    upstreamInFlight: new Gauge({
      name: 'rempart_upstream_in_flight_requests',
      help: 'Requests admitted to each upstream and not yet finished.',
      labelNames: ['upstream'] as const,
      registers: r,
      collect() {
        const a = sources.admission?.();
        if (a === undefined) return;
        this.reset();
        for (const s of a) this.set({ upstream: s.upstream }, s.inFlight);
      },
    }),
    upstreamQueue: new Gauge({
      name: 'rempart_upstream_queue_length_requests',
      help: 'Requests waiting for an upstream slot, per route class.',
      labelNames: ['upstream', 'class'] as const,
      registers: r,
      collect() {
        const a = sources.admission?.();
        if (a === undefined) return;
        this.reset();
        for (const s of a)
          for (const [cls, n] of Object.entries(s.queued)) this.set({ upstream: s.upstream, class: cls }, n);
      },
    }),
    upstreamMinRtt: new Gauge({
      name: 'rempart_upstream_min_rtt_seconds',
      aggregator: 'min',
      help: 'Latency of the upstream when idle, as last measured by the admission controller.',
      labelNames: ['upstream'] as const,
      registers: r,
      collect() {
        const a = sources.admission?.();
        if (a === undefined) return;
        this.reset();
        for (const s of a) if (s.minRttMs !== null) this.set({ upstream: s.upstream }, s.minRttMs / 1000);
      },
    }),
    admissionShed: new Counter({
      name: 'rempart_admission_shed_total',
      help: 'Requests shed by admission control (queue full, deadline passed or evicted), per route class.',
      labelNames: ['upstream', 'class'] as const,
      registers: r,
      collect() {
        const a = sources.admission?.();
        if (a === undefined) return;
        // The controllers own the counts; the metric mirrors them at scrape time.
        this.reset();
        for (const s of a)
          for (const [cls, n] of Object.entries(s.shed)) this.inc({ upstream: s.upstream, class: cls }, n);
      },
    }),
    admissionAbandoned: new Counter({
      name: 'rempart_admission_abandoned_total',
      help: 'Queued requests dropped because their client had gone before a slot freed.',
      labelNames: ['upstream'] as const,
      registers: r,
      collect() {
        const a = sources.admission?.();
        if (a === undefined) return;
        this.reset();
        for (const s of a) this.inc({ upstream: s.upstream }, s.abandoned);
      },
    }),
    upstreamHealthy: new Gauge({
      name: 'rempart_upstream_healthy_bool',
      aggregator: 'min',
      help: '1 when the upstream is considered healthy.',
      labelNames: ['upstream'] as const,
      registers: r,
      collect() {
        const h = sources.upstreamHealthy?.();
        if (h === undefined) return;
        this.reset();
        for (const [upstream, ok] of Object.entries(h)) this.set({ upstream }, ok ? 1 : 0);
      },
    }),
    bansActive: new Gauge({
      name: 'rempart_ban_active_entries',
      aggregator: 'max',
      help: 'Active bans (addresses and prefixes).',
      registers: r,
      collect() {
        const n = sources.bans?.();
        if (n !== undefined) this.set(n);
      },
    }),
    stateRemoteConnected: new Gauge({
      name: 'rempart_state_remote_connected',
      aggregator: 'min',
      help: '1 while the remote state backend (Redis) answers; 0 while the gateway counts on local state.',
      registers: r,
      collect() {
        const s = sources.stateRemote?.();
        if (s !== undefined) this.set(s.connected ? 1 : 0);
      },
    }),
    stateRemoteFallbacks: new Counter({
      name: 'rempart_state_remote_fallbacks_total',
      help: 'Switches from the remote state backend to local state (Redis unreachable, failing or too slow).',
      registers: r,
      collect() {
        const s = sources.stateRemote?.();
        if (s === undefined) return;
        this.reset();
        this.inc(s.fallbacks);
      },
    }),
    stateLockTakeovers: new Counter({
      name: 'rempart_state_shared_lock_takeovers_total',
      help:
        'Bucket locks of the shared-memory tables taken over from a holder that kept one for about a second ' +
        '(a worker thread stopped inside its critical section). Nonzero means a worker died mid-update.',
      registers: r,
      collect() {
        this.reset();
        this.inc(lockTakeovers); // this thread's count; the main thread's /metrics adds the workers' up
      },
    }),
    bansAdded: new Counter({
      name: 'rempart_ban_added_total',
      help: 'Bans added, by source (auto, admin).',
      labelNames: ['source'] as const,
      registers: r,
    }),
    stateEntries: new Gauge({
      name: 'rempart_state_table_entries',
      aggregator: 'max',
      help: 'Entries in each state table.',
      labelNames: ['table'] as const,
      registers: r,
      collect() {
        const t = sources.tables?.();
        if (t === undefined) return;
        this.reset();
        for (const [table, s] of Object.entries(t)) this.set({ table }, s.size);
      },
    }),
    stateCapacity: new Gauge({
      name: 'rempart_state_table_capacity_entries',
      aggregator: 'max',
      help: 'Capacity of each state table (entries beyond it evict the oldest).',
      labelNames: ['table'] as const,
      registers: r,
      collect() {
        const t = sources.tables?.();
        if (t === undefined) return;
        this.reset();
        for (const [table, s] of Object.entries(t)) this.set({ table }, s.capacity);
      },
    }),
    stateEvictions: new Counter({
      name: 'rempart_state_table_evictions_total',
      aggregator: 'max',
      help: 'Entries evicted from each state table because it was full.',
      labelNames: ['table'] as const,
      registers: r,
      collect() {
        const t = sources.tables?.();
        if (t === undefined) return;
        this.reset();
        for (const [table, s] of Object.entries(t)) this.inc({ table }, s.evictions);
      },
    }),
    detectMode: new Gauge({
      name: 'rempart_detect_mode_info',
      aggregator: 'max',
      help: '1 for the current protection mode (normal, elevated, under-attack).',
      labelNames: ['mode'] as const,
      registers: r,
      collect() {
        const d = sources.detect?.();
        if (d === undefined) return;
        for (const mode of MODES) this.set({ mode }, d.mode === mode ? 1 : 0);
      },
    }),
    modeTransitions: new Counter({
      name: 'rempart_detect_mode_transitions_total',
      help: 'Protection mode changes, automatic or pinned through the admin API.',
      labelNames: ['from', 'to'] as const,
      registers: r,
    }),
    detectPressure: new Gauge({
      name: 'rempart_detect_pressure_ratio',
      aggregator: 'max',
      help: 'How close the origin and the gateway are to saturation (0..1).',
      registers: r,
      collect() {
        const d = sources.detect?.();
        if (d !== undefined) this.set(d.pressure);
      },
    }),
    logDropped: new Counter({
      name: 'rempart_log_lines_dropped_total',
      help: 'Access and decision log lines not written because of the per-second cap.',
      registers: r,
    }),
    /** Binds (or replaces) the live sources read at scrape time. */
    bindSources(s: MetricSources): void {
      sources = { ...sources, ...s };
    },
    /** Prometheus text exposition. */
    expose(): Promise<string> {
      return registry.metrics();
    },
  };
  if (o.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'rempart_' });
  return {
    ...m,
    recordRequest: requestRecorder(m.requests, requestTally, m.requestDuration),
    recordRule: ruleRecorder(m.decisions, ruleTally),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
