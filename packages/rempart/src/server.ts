import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { createAdminListener } from './admin/admin-listener.ts';
import { compilePolicy } from './config/compile.ts';
import type { Config } from './config/schema.ts';
import { type Clock, systemClock } from './core/clock.ts';
import { RempartError } from './core/errors.ts';
import { CidrSet } from './core/ip-prefix.ts';
import { createDetector, type Detector } from './detect/detector.ts';
import { createKnownSessions, type KnownSessions } from './detect/known-sessions.ts';
import { MODES } from './detect/mode.ts';
import { createScoreStage } from './detect/score-stage.ts';
import { createShapeStage } from './detect/shape-stage.ts';
import { bindListeners, type ListenerAddress, urlOf } from './listeners/bind.ts';
import type { PublicListener } from './listeners/public-listener.ts';
import { type DecisionRecord, DecisionRing } from './obs/decisions.ts';
import { createLog } from './obs/log.ts';
import { createMetrics, type Metrics } from './obs/metrics.ts';
import { AdmissionRegistry } from './pipeline/admission/registry.ts';
import { createAdmissionStage } from './pipeline/admission/stage.ts';
import { createMicroCache, type MicroCache } from './pipeline/cache/micro-cache.ts';
import { createChallenge } from './pipeline/challenge/stage.ts';
import type { LedgerFactory } from './pipeline/challenge/token.ts';
import { stageOrder } from './pipeline/order.ts';
import { createResponder } from './pipeline/respond.ts';
import type { Deps, DetectSnapshot, Mode, RequestCtx, Stage } from './pipeline/types.ts';
import { createRequestPath, type RequestPathParts } from './request-path.ts';
import { createMemoryStore } from './state/memory-store.ts';
import type { Store } from './state/store.ts';
import { createUpstreams, type Upstreams } from './upstream/upstreams.ts';
import { aggregateMetrics } from './workers/aggregate-metrics.ts';
import type { WorkerMetrics } from './workers/messages.ts';

// The composition root: configuration → state, defences, listeners, admin; reload and drain. Wiring only:
// what happens to one request is request-path.ts, and every decision lives in its stage module.

export interface GatewayOptions {
  readonly config: Config;
  readonly clock?: Clock;
  /** A state backend made by the caller (tests, shared memory for workers); default: the one the configuration names. */
  readonly store?: Store;
  /** Set when this gateway is one of several worker threads (workers/); absent: the only one. */
  readonly worker?: WorkerRole;
}

/** One gateway among `count` serving the same ports; worker 0 (the main thread) also runs the admin API. */
export interface WorkerRole {
  readonly index: number;
  readonly count: number;
  /** The challenge key all workers sign with when the configuration names none (a clearance must pass anywhere). */
  readonly secret: Uint8Array;
  /** The challenge's single-use ids and clearance budgets, shared by the workers. */
  readonly ledgers: LedgerFactory;
  /** Why the shared state cannot take a new configuration (restart needed); undefined when it can. */
  readonly refuses: (next: Config) => string | undefined;
}

/** A gateway without the admin API: a worker thread other than the main one (one admin listener per process). */
export interface WorkerGateway {
  readonly listeners: readonly ListenerAddress[];
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Applies a validated configuration; throws (and keeps the running one) when a change needs a restart. */
  reload(config: Config): void;
  /** Pins the protection mode (null hands it back to detection), as an operator's pin through the admin API. */
  pin(mode: Mode | null): void;
  /** A refusal this gateway recorded, for the explain API. */
  findDecision(id: string): DecisionRecord | undefined;
  /** Main thread of a worker set: the other workers, for /metrics, explain, pins, reloads and the drain. */
  attachPeers(peers: Peers): void;
  /** Stops accepting, lets requests in flight finish for up to graceMs, then closes everything. */
  close(graceMs: number): Promise<void>;
}

export interface Gateway extends WorkerGateway {
  readonly admin: { readonly host: string; readonly port: number; readonly url: string };
}

/** The other worker threads, as the main thread's gateway reaches them (workers/worker-set.ts). */
export interface Peers {
  pin(mode: Mode | null): void;
  reload(config: Config): Promise<void>;
  metrics(): Promise<WorkerMetrics[]>;
  decision(id: string): Promise<DecisionRecord | undefined>;
  close(graceMs: number): Promise<void>;
}

/** Sections bound at start (sockets, threads, state backend, log file): changing them needs a restart. */
const RESTART_SECTIONS = ['listeners', 'workers', 'state'] as const;

const QUIET: DetectSnapshot = Object.freeze({ mode: 'normal', pressure: 0, pinned: false, since: 0 });

function restartNeeded(from: Config, to: Config): string[] {
  const out: string[] = [];
  for (const k of RESTART_SECTIONS) if (!isDeepStrictEqual(from[k], to[k])) out.push(k);
  if (from.admin.host !== to.admin.host || from.admin.port !== to.admin.port) out.push('admin.host/port');
  if (from.logging.destination !== to.logging.destination) out.push('logging.destination');
  return out;
}

async function createStore(config: Config, log: Logger): Promise<Store> {
  const st = config.state;
  if (st.backend === 'memory') return createMemoryStore({ maxEntries: st.max_entries });
  // Loaded only when used: importing the Redis client alone adds ~30 MB of RSS (measured), which a memory-backed gateway never needs.
  const { createRedisStore } = await import('./state/redis-store.ts');
  return createRedisStore({
    url: st.redis_url as string,
    prefix: st.key_prefix,
    maxEntries: st.max_entries,
    timeoutMs: st.redis_timeout_ms,
    // Only the switches are logged: a Redis outage is one line each way, never one per request.
    onSwitch: (up, reason) =>
      up
        ? log.info({ event: 'state-remote', connected: true }, 'state: using redis')
        : log.warn({ event: 'state-remote', connected: false, reason }, 'state: redis unavailable, using local state'),
  });
}

/** The gateway of a single-threaded process, or the main thread of a worker set (it runs the admin API). */
export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  if (o.worker !== undefined && o.worker.index !== 0) throw new Error('startGateway: worker 0 runs the admin API');
  return (await buildGateway(o)) as Gateway;
}

/** A worker thread's gateway (index > 0): listeners and defences, no admin API. */
export function startWorkerGateway(o: GatewayOptions & { readonly worker: WorkerRole }): Promise<WorkerGateway> {
  return buildGateway(o);
}

async function buildGateway(o: GatewayOptions): Promise<WorkerGateway & { admin?: Gateway['admin'] }> {
  let config = o.config;
  const clock = o.clock ?? systemClock;
  const worker = o.worker;
  const isMain = worker === undefined || worker.index === 0;
  const metrics = createMetrics({ processMetrics: isMain });
  let peers: Peers | undefined;
  const log = createLog({
    level: config.logging.level,
    destination: config.logging.destination,
    maxLinesPerS: config.logging.max_lines_per_s,
    clock,
    onDropped: (n) => metrics.logDropped.inc(n),
  });
  const store = o.store ?? (await createStore(config, log.logger));
  const decisions = new DecisionRing();
  const admission = new AdmissionRegistry(config, clock);
  // `sessions` is replaced on reload: read through it at each request.
  const challenge = createChallenge(config.challenge, clock, {
    knownSession: (ctx) => sessions.knows(ctx.headers),
    processSecret: worker?.secret,
    ledger: worker?.ledgers,
  });
  const deps: Deps = { clock, store, policy: compilePolicy(config), snapshot: QUIET };

  const makeUpstreams = (c: Config): Upstreams =>
    createUpstreams(c.upstreams, {
      clock,
      log: log.logger,
      trustedProxies: c.trusted_proxies,
      stripHeaders: () => deps.policy.access.stripHeaders,
    });
  const makeCache = (c: Config): MicroCache =>
    createMicroCache(c.cache, clock, {
      modePolicy: () => detector?.snapshot.policy.cache ?? 'normal',
      overloaded: () => (detector?.snapshot.pressure ?? 0) >= config.detect.engage_pressure,
      gatewayCookies: [`${c.challenge.clearance.cookie}=`, `${c.challenge.pass.cookie}=`],
    });
  const makeSessions = (c: Config): KnownSessions =>
    createKnownSessions({
      cookies: c.detect.priority.session_cookies,
      capacity: c.detect.priority.max_sessions,
      ttlMs: c.detect.priority.session_ttl_s * 1000,
    });

  let detector: Detector | undefined;
  let stopDetector: (() => void) | undefined;
  let sessions = makeSessions(config);
  const isPriority = (ctx: RequestCtx) => sessions.knows(ctx.headers) || challenge.hasClearance(ctx);
  // Bulk shedding is a mode-wide measure, like class-wide challenges: a visitor pass spares it too (shape actions
  // do not look at passes, so a harvested pass does not shield a bot's shape).
  const isKnown = (ctx: RequestCtx) => isPriority(ctx) || challenge.hasPass(ctx);

  function startDetector(c: Config): void {
    stopDetector?.();
    stopDetector = undefined;
    detector = undefined;
    deps.snapshot = QUIET;
    if (!c.detect.enabled) return;
    const d = createDetector(c.detect, clock, {
      pressure: () => {
        let inflight = 0;
        let limit = 0;
        let queued = 0;
        for (const s of admission.states()) {
          inflight += s.inFlight;
          limit += s.limit;
          queued += s.queued.critical + s.queued.normal + s.queued.static + s.queued.bulk;
        }
        return {
          originInflight: inflight,
          originLimit: limit,
          queued,
          queueCapacity: config.admission.queue_size * Math.max(1, config.upstreams.length),
        };
      },
      onTransition: (t) => {
        metrics.modeTransitions.labels(t.from, t.to).inc();
        log.logger.warn({ event: 'mode', ...t }, `protection mode ${t.from} → ${t.to}`);
      },
    });
    detector = d;
    deps.snapshot = d.snapshot;
    stopDetector = d.start((s) => {
      deps.snapshot = s;
    });
  }

  function buildStages(c: Config, cache: MicroCache): Stage[] {
    const d = detector;
    return [
      ...stageOrder({
        score: d && createScoreStage(d, c.detect.score),
        detect: d && createShapeStage(d, { isPriority }),
        challenge: challenge.stage,
        admission: createAdmissionStage({
          controllers: admission,
          clock,
          cached: (ctx) => cache.has(ctx),
          shedBulk: () => detector?.snapshot.policy.shed_bulk === true && detector.snapshot.engaged === true,
          priority: isKnown,
        }),
      }),
    ];
  }

  startDetector(config);
  // Cluster: an operator's pin on any gateway applies on all. The value comes from Redis: checked here.
  store.remote?.onPin((m) => {
    if (detector === undefined || (m !== null && !(MODES as readonly string[]).includes(m))) return;
    deps.snapshot = detector.pin((m ?? undefined) as Mode | undefined);
    log.logger.info({ event: 'mode-pin', mode: m, from: 'cluster' }, 'protection mode pin from another gateway');
  });
  const cache0 = makeCache(config);
  const parts: RequestPathParts = {
    deps,
    stages: buildStages(config, cache0),
    responder: createResponder({ renderChallenge: challenge.renderChallenge }),
    challenge,
    cache: cache0,
    upstreams: makeUpstreams(config),
    detector,
    metrics,
    decisions,
    log,
    onOriginResponse: (ctx, status, headers) => {
      if (status < 400) sessions.learn(ctx.headers, headers);
    },
  };
  const onRequest = createRequestPath(parts);

  const listenerLog = (event: string, fields: object) => log.logger.warn({ event, ...fields }, event);
  // Read per connection (PROXY protocol trust), so a reload of trusted_proxies reaches running listeners.
  let trustedProxies = new CidrSet(config.trusted_proxies);
  /** A start that fails half-way releases what it made (an admin port or listener that cannot bind). */
  const abandon = async (publics: readonly PublicListener[]) => {
    await Promise.all(publics.map((l) => l.close(0)));
    await parts.upstreams.close();
    stopDetector?.();
    if (o.store === undefined) await store.close();
  };
  let closing = false;
  const { publics, addresses } = await bindListeners(config, {
    get trustedProxies() {
      return trustedProxies;
    },
    onRequest,
    log: listenerLog,
    reusePort: worker !== undefined && worker.count > 1,
  }).catch(async (e: unknown) => {
    await abandon([]);
    throw e;
  });

  metrics.bindSources({
    admission: () => admission.states(),
    tables: () => store.sizes(),
    bans: () => store.listBans(clock.now()).length,
    stateRemote: () =>
      store.remote === undefined
        ? undefined
        : { connected: store.remote.connected(), fallbacks: store.remote.fallbacks },
    connections: () => Object.fromEntries(publics.map((l) => [l.name, l.connectionCount()])),
    listenerStats: () => Object.fromEntries(publics.map((l) => [l.name, l.stats()])),
    upstreamHealthy: () => Object.fromEntries(parts.upstreams.stats().map((u) => [u.name, u.healthy])),
    detect: () => deps.snapshot,
  });

  /** An operator's pin (admin API or the main thread): every worker takes it, and Redis peers through sharePin. */
  const applyPin = (mode: Mode | null): DetectSnapshot | undefined => {
    if (detector === undefined) return undefined;
    deps.snapshot = detector.pin(mode ?? undefined);
    return deps.snapshot;
  };
  const admin = isMain
    ? createAdminListener({
        host: config.admin.host,
        port: config.admin.port,
        token: () => config.admin.token,
        sources: {
          clock,
          store: () => store,
          config: () => config,
          decisions,
          findDecision: (id) => peers?.decision(id) ?? Promise.resolve(undefined),
          admission: () => admission.states(),
          upstreamHealth: () => Object.fromEntries(parts.upstreams.stats().map((u) => [u.name, u.healthy])),
          // Not ready once draining: a balancer polling /readyz stops sending new clients here.
          listenersUp: () => !closing,
          metrics: async () => {
            if (peers === undefined) return metrics.expose();
            return aggregateMetrics([await metrics.registry.getMetricsAsJSON(), ...(await peers.metrics())]);
          },
          metricsContentType: metrics.registry.contentType,
          detect: () => deps.snapshot,
          detector: () => detector,
          onSnapshot: (snap) => {
            deps.snapshot = snap;
            const mode = snap.pinned ? snap.mode : null;
            peers?.pin(mode);
            void store.remote?.sharePin(mode);
          },
          onBan: () => metrics.bansAdded.inc({ source: 'admin' }),
          log: log.logger,
        },
      })
    : undefined;
  let adminAddr: { port: number } | undefined;
  try {
    adminAddr = await admin?.listen();
  } catch (e) {
    await abandon(publics);
    throw e;
  }
  const adminAddress =
    adminAddr === undefined
      ? undefined
      : { host: config.admin.host, port: adminAddr.port, url: urlOf('http', config.admin.host, adminAddr.port) };

  log.logger.info(
    {
      event: 'started',
      listeners: addresses.map((a) => a.url),
      admin: adminAddress?.url,
      worker: worker?.index,
    },
    'rempart started',
  );

  return {
    listeners: addresses,
    admin: adminAddress,
    log: log.logger,
    metrics,
    pin(mode) {
      applyPin(mode);
    },
    findDecision: (id) => decisions.get(id),
    attachPeers(p) {
      peers = p;
    },
    reload(next) {
      const blocked = restartNeeded(config, next);
      const shared = worker?.refuses(next);
      if (shared !== undefined) blocked.push(shared);
      if (blocked.length > 0)
        throw new RempartError('REMPART_RELOAD_NEEDS_RESTART', `changed ${blocked.join(', ')}: restart to apply`);
      const policy = compilePolicy(next);
      const prev = config;
      config = next;
      deps.policy = policy;
      if (!isDeepStrictEqual(prev.trusted_proxies, next.trusted_proxies))
        trustedProxies = new CidrSet(next.trusted_proxies);
      for (const l of publics) l.updateLimits(next.limits);
      challenge.reconfigure(next.challenge);
      admission.reconfigure(next);
      log.logger.level = next.logging.level;
      log.setMaxLinesPerS(next.logging.max_lines_per_s);
      if (!isDeepStrictEqual(prev.detect, next.detect)) {
        // A mode pinned through the admin API outlives a retune of detection (files that pin one decide it).
        const pinned = deps.snapshot.pinned && prev.detect.pin === undefined && next.detect.pin === undefined;
        const keep = pinned ? deps.snapshot.mode : undefined;
        startDetector(next);
        if (keep !== undefined && detector !== undefined) deps.snapshot = detector.pin(keep);
        parts.detector = detector;
        sessions = makeSessions(next);
      }
      const cookieNames = (c: Config) => `${c.challenge.clearance.cookie} ${c.challenge.pass.cookie}`;
      if (!isDeepStrictEqual(prev.cache, next.cache) || cookieNames(prev) !== cookieNames(next))
        parts.cache = makeCache(next);
      if (
        !isDeepStrictEqual(prev.upstreams, next.upstreams) ||
        !isDeepStrictEqual(prev.trusted_proxies, next.trusted_proxies)
      ) {
        const old = parts.upstreams;
        parts.upstreams = makeUpstreams(next);
        // Requests already on the old pools finish there; the pools close once they have had time to.
        const graceMs = Math.min(
          60_000,
          Math.max(...prev.upstreams.map((u) => u.headers_timeout_ms + u.body_timeout_ms)),
        );
        setTimeout(() => void old.close(), graceMs).unref();
      }
      parts.stages = buildStages(next, parts.cache);
      // The other workers apply the same file; they refuse only what this one refused above.
      peers
        ?.reload(next)
        .catch((err: Error) =>
          log.logger.error({ event: 'config-reload-worker', err: err.message }, 'a worker refused the configuration'),
        );
    },
    async close(graceMs) {
      closing = true;
      stopDetector?.();
      await Promise.all([...publics.map((l) => l.close(graceMs)), peers?.close(graceMs)]);
      await admin?.close();
      admission.close();
      await parts.upstreams.close();
      await store.close();
      log.logger.info({ event: 'stopped' }, 'rempart stopped');
      await log.close();
    },
  };
}
