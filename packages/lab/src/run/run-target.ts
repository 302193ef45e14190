import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChallengeSolver } from '../legit/challenge.ts';
import { posteJourneys } from '../legit/poste-journeys.ts';
import { rempartSolver } from '../legit/rempart-solver.ts';
import { startLegitUsers } from '../legit/users.ts';
import { watchCpu } from '../load/cpu-watch.ts';
import { createPoolAllocator, OWN_PREFIX, poolAddress, type SourcePool } from '../load/sources.ts';
import { type CapacityResult, measureCapacity } from '../measure/capacity.ts';
import { Collector } from '../measure/collector.ts';
import { type AttackSpec, attackRate, type Scenario } from '../scenario/schema.ts';
import { sampleTree } from '../targets/proc-stats.ts';
import { spawnReady } from '../targets/spawn-ready.ts';
import type { TargetName } from '../targets/target.ts';
import { targets } from '../targets/targets.ts';
import { runFlood } from '../vectors/flood.ts';
import { startH2Attack } from '../vectors/h2-abuse.ts';
import type { RequestVector } from '../vectors/request-shapes.ts';
import { type SlowKind, startSlowAttack } from '../vectors/slow-connections.ts';
import type { TargetRun, VectorReport } from './report-types.ts';

// One scenario against one target: origin process, target process, legit users, phased attacks, sampling.

const ORIGIN_MAIN = fileURLToPath(new URL('../origin/serve-origin.ts', import.meta.url));
const POSTE_BIN = fileURLToPath(new URL('../../../poste/bin/poste.js', import.meta.url));
/** Parcels seeded into poste's throw-away database: enough for realistic lookups, seeded in seconds. */
const POSTE_PARCELS = 20_000;

export type OriginKind = 'lab' | 'poste';

export interface RunOptions {
  scenario: Scenario;
  target: TargetName;
  /** `lab`: the lab's own origin (CPU cost from the scenario); `poste`: the real service behind a counting tap. */
  origin?: OriginKind;
  solver?: ChallengeSolver;
  seed?: number;
  /** Called about once a second with a one-line status. */
  progress?: (line: string) => void;
}

/** Rempart's explain API: the rule of a decision id (GET /api/decisions/:id). */
export function explainer(a: { host: string; port: number; token: string }) {
  return async (id: string) => {
    const j = (await getJson(a.host, a.port, `/api/decisions/${encodeURIComponent(id)}`, {
      authorization: `Bearer ${a.token}`,
    })) as { rule?: unknown };
    return typeof j.rule === 'string' ? j.rule : undefined;
  };
}

function getJson(host: string, port: number, path: string, headers: Record<string, string> = {}): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, headers, agent: false, timeout: 2000 }, (res) => {
      let s = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (s.length < 1 << 20) s += c;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(s));
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const requestVectors = new Set([
  'ddosia',
  'cache-bust',
  'login-stuffing',
  'search-exhaustion',
  'oversized',
  'low-and-slow',
]);

export async function runTarget(o: RunOptions): Promise<TargetRun> {
  const s = o.scenario;
  const seed = o.seed ?? 1;
  const dir = mkdtempSync(join(tmpdir(), `rempart-lab-${o.target}-`));
  let poste: Awaited<ReturnType<typeof spawnReady>> | undefined;
  let origin: Awaited<ReturnType<typeof spawnReady>> | undefined;
  let target: Awaited<ReturnType<(typeof targets)[TargetName]['start']>> | undefined;
  try {
    const tapArgs: string[] = [];
    if (o.origin === 'poste') {
      poste = await spawnReady(
        process.execPath,
        [
          POSTE_BIN,
          'serve',
          '--port',
          '0',
          '--atm-port',
          '0',
          '--db',
          `sqlite:${join(dir, 'poste.sqlite')}`,
          '--seed',
          String(POSTE_PARCELS),
          ...(s.origin.poste_costs === undefined ? [] : ['--costs', s.origin.poste_costs]),
        ],
        { readyJson: (j) => j.ready === true, timeoutMs: 120_000 },
      );
      tapArgs.push(new URL(String(poste.readyLine?.url)).port);
    }
    origin = await spawnReady(
      process.execPath,
      [ORIGIN_MAIN, String(s.origin.cpu_ms), String(s.origin.search_factor), ...tapArgs],
      {
        readyJson: (j) => j.event === 'ready',
      },
    );
    const originPort = Number(origin.readyLine?.port);
    // What the origin costs: poste itself when it runs, else the lab origin.
    const originPid = poste?.pid ?? origin.pid;
    const alloc = createPoolAllocator();
    // Each legit user in its own /24, as people are: per-prefix limits must not see thirty users as one office.
    const legitPool = alloc('legit', s.legit.users, OWN_PREFIX);
    // Origin capacity, measured now against the origin itself (same process, costs and request mix the
    // flood will use), before any gateway runs; the counters are then reset so the probe is not reported.
    let capacity: CapacityResult | null = null;
    if (s.capacity) {
      const c = s.capacity;
      const probePool = alloc('capacity-probe', 500);
      o.progress?.(
        `[${o.target}] measuring origin capacity (${c.vector} mix, ${c.concurrency} clients, ${c.duration_s} s)`,
      );
      capacity = await measureCapacity({
        host: '127.0.0.1',
        port: originPort,
        vector: c.vector,
        concurrency: c.concurrency,
        durationS: c.duration_s,
        warmupS: c.warmup_s,
        source: (k) => poolAddress(probePool, k),
        sourceCount: 500,
        seed: seed + 7,
      });
      if (capacity.rps <= 0) throw new Error(`origin capacity measured as 0 req/s: ${JSON.stringify(capacity)}`);
      await getJson('127.0.0.1', originPort, '/__lab/reset');
      // Let the origin finish what the probe left in flight before the run starts.
      await new Promise((r) => setTimeout(r, 1000));
    }
    const capacityRps = capacity?.rps ?? null;
    target = await targets[o.target].start({ host: '127.0.0.1', port: originPort }, dir);
    const t = target;
    const collector = new Collector();
    const cpu = watchCpu();

    // Sampling once a second: gateway process tree, origin counters.
    const originStart = sampleTree(originPid);
    const gwStart = t.pid ? sampleTree(t.pid) : null;
    let gwLast = gwStart;
    let gwLastAt = performance.now();
    let maxRss: number | null = gwStart?.rss_mb ?? null;
    let maxFds: number | null = gwStart?.fds ?? null;
    let attackSeen = 0;
    let originCounters = { legit: 0, attack: 0, max_in_flight: 0 };
    let phaseName = '';
    const pollOrigin = async () => {
      try {
        const c = (await getJson('127.0.0.1', originPort, '/__lab/counters')) as typeof originCounters;
        collector.reachedOrigin(c.attack - attackSeen);
        attackSeen = c.attack;
        originCounters = c;
      } catch {
        // origin busy: the next poll catches up (counters are cumulative)
      }
    };
    // The gateway's detection mode, from its admin API (GET /api/state → detect.mode), when it reports one.
    const pollMode = async (a: { host: string; port: number; token: string }, sec: { mode: string | null }) => {
      try {
        const j = (await getJson(a.host, a.port, '/api/state', { authorization: `Bearer ${a.token}` })) as {
          detect?: { mode?: unknown } | null;
        };
        if (typeof j.detect?.mode === 'string') sec.mode = j.detect.mode;
      } catch {
        // admin busy or no detection: mode stays null for this second
      }
    };
    const sampler = setInterval(() => {
      const now = performance.now();
      const sec = collector.second(now);
      if (t.pid) {
        const g = sampleTree(t.pid);
        if (g) {
          if (gwLast)
            sec.gateway_cpu_ratio = Math.round(((g.cpu_s - gwLast.cpu_s) / ((now - gwLastAt) / 1000)) * 100) / 100;
          sec.gateway_rss_mb = g.rss_mb;
          maxRss = Math.max(maxRss ?? 0, g.rss_mb);
          maxFds = Math.max(maxFds ?? 0, g.fds);
          gwLast = g;
          gwLastAt = now;
        }
      }
      void pollOrigin();
      if (t.admin) void pollMode(t.admin, sec);
      if (o.progress) {
        const prev = collector.timeline().at(-2);
        if (prev) collector.settleSecond(prev);
        const ok = prev && prev.legit_total > 0 ? `${((100 * prev.legit_ok) / prev.legit_total).toFixed(1)}%` : '-';
        o.progress(
          `[${o.target}] ${phaseName} t=${Math.floor(collector.elapsedS(now))}s legit ok ${ok} p99 ${prev?.legit_p99_ms ?? '-'}ms attack ${prev?.attack_sent ?? 0}/s reached origin ${prev?.attack_reached_origin ?? 0}/s gw cpu ${sec.gateway_cpu_ratio ?? '-'} rss ${sec.gateway_rss_mb ?? '-'}MB`,
        );
      }
    }, 1000);

    const legit = startLegitUsers({
      host: t.host,
      port: t.port,
      users: s.legit.users,
      thinkMs: s.legit.think_ms,
      timeoutMs: s.legit.timeout_ms,
      source: (u) => poolAddress(legitPool, u),
      collector,
      solver: o.solver ?? rempartSolver,
      seed,
      journeys: o.origin === 'poste' ? posteJourneys(POSTE_PARCELS) : undefined,
      explain: t.admin ? explainer(t.admin) : undefined,
    });

    const vectors: VectorReport[] = [];
    let attackStartS: number | null = null;
    let attackEndS: number | null = null;
    let generatorDropped = 0;
    let lateness = 0;
    for (const [pi, phase] of s.phases.entries()) {
      phaseName = phase.name;
      collector.beginPhase(phase.name);
      if (phase.attacks.length > 0 && attackStartS === null) attackStartS = collector.elapsedS();
      if (phase.attacks.length > 0) attackEndS = collector.elapsedS() + phase.duration_s;
      const abort = new AbortController();
      const running: Promise<VectorReport>[] = phase.attacks.map((a, ai) => {
        const pool = alloc(`${phase.name}-${a.vector}-${ai}`, a.sources);
        const source = sharedSource(a, pool, legitPool, seed + pi * 101 + ai);
        return startAttack(
          a,
          attackRate(a, capacityRps),
          phase.name,
          t.host,
          t.port,
          t.tlsPort,
          phase.duration_s,
          source,
          collector,
          seed + pi * 1009 + ai,
          abort.signal,
        );
      });
      const timer = setTimeout(() => abort.abort(), phase.duration_s * 1000);
      await new Promise<void>((r) => abort.signal.addEventListener('abort', () => r(), { once: true }));
      clearTimeout(timer);
      for (const v of await Promise.all(running)) {
        vectors.push(v);
        generatorDropped += Number(v.stats.dropped_by_generator ?? 0);
        lateness = Math.max(lateness, Number(v.stats.max_timer_lateness_ms ?? 0));
      }
    }
    await legit.stop();
    clearInterval(sampler);
    await pollOrigin();
    collector.endRun();
    const gen = cpu.stop();
    const gwEnd = t.pid ? sampleTree(t.pid) : null;
    const originEnd = sampleTree(originPid);
    const overall = collector.overallSummary();
    const collateral = overall.legit.challenged + overall.legit.blocked;
    // The flood's achieved multiple of the measured capacity: attack requests answered (or failed) per second
    // of each phase, over the capacity. What was sent, not what the scenario asked for.
    const phases = collector.phaseSummaries().map((p) => {
      const len = p.end_s - p.start_s;
      const rps = len > 0 ? Math.round((p.attack.requests / len) * 10) / 10 : 0;
      return {
        ...p,
        attack_rps: rps,
        attack_multiple: capacityRps === null ? null : Math.round((rps / capacityRps) * 10) / 10,
      };
    });
    const peak = phases.reduce<(typeof phases)[number] | undefined>(
      (best, p) => (best === undefined || p.attack_rps > best.attack_rps ? p : best),
      undefined,
    );
    return {
      status: 'ok',
      target: o.target,
      legit: overall.legit,
      legit_refusals: collector.refusals,
      attack: overall.attack,
      time_to_mitigate_s: collector.timeToMitigate(attackStartS, attackEndS),
      origin_capacity_rps: capacityRps,
      capacity,
      attack_multiple: capacityRps === null ? null : (peak?.attack_multiple ?? null),
      attack_peak_phase: capacityRps === null ? null : (peak?.name ?? null),
      collateral: {
        legit_challenged: overall.legit.challenged,
        legit_blocked: overall.legit.blocked,
        ratio:
          overall.legit.requests === 0 ? null : Math.round((collateral / overall.legit.requests) * 10_000) / 10_000,
      },
      gateway: {
        pid: t.pid ?? null,
        cpu_s: gwEnd && gwStart ? Math.round((gwEnd.cpu_s - gwStart.cpu_s) * 100) / 100 : null,
        max_rss_mb: maxRss,
        max_fds: maxFds,
      },
      origin: {
        // What actually answered: poste when it was spawned, else the lab origin.
        kind: poste === undefined ? 'lab' : 'poste',
        cpu_s: originEnd && originStart ? Math.round((originEnd.cpu_s - originStart.cpu_s) * 100) / 100 : null,
        max_in_flight: originCounters.max_in_flight,
        legit_requests: originCounters.legit,
        attack_requests: originCounters.attack,
      },
      generator: {
        cpu_s: gen.cpu_s,
        max_core_ratio: gen.max_core_ratio,
        saturated: gen.saturated,
        dropped: generatorDropped,
        max_timer_lateness_ms: lateness,
      },
      phases,
      vectors,
      timeline: collector.timeline(),
    };
  } finally {
    await target?.stop();
    await origin?.stop();
    await poste?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Attack sources, a share of them taken from legit users' addresses (NAT, carrier-grade NAT). */
function sharedSource(a: AttackSpec, pool: SourcePool, legitPool: SourcePool, seed: number): (k: number) => string {
  if (a.share_ips_with_legit <= 0) return (k) => poolAddress(pool, k);
  const every = Math.max(1, Math.round(1 / a.share_ips_with_legit));
  return (k) => (k % every === 0 ? poolAddress(legitPool, Math.floor(k / every) + seed) : poolAddress(pool, k));
}

async function startAttack(
  a: AttackSpec,
  rate: number,
  phase: string,
  host: string,
  port: number,
  tlsPort: number | undefined,
  durationS: number,
  source: (k: number) => string,
  collector: Collector,
  seed: number,
  signal: AbortSignal,
): Promise<VectorReport> {
  if (a.vector === 'adaptive' || requestVectors.has(a.vector)) {
    const rotation = (
      a.vector === 'adaptive'
        ? (a.rotate ?? ['ddosia', 'cache-bust', 'login-stuffing', 'search-exhaustion'])
        : [a.vector]
    ).filter((v) => requestVectors.has(v)) as RequestVector[];
    const stats = await runFlood({
      vectors: rotation,
      host,
      port,
      rate,
      rampS: a.ramp_s,
      durationS,
      maxInFlight: a.max_connections,
      source,
      sourceCount: a.sources,
      collector,
      seed,
      signal,
    });
    return { vector: a.vector, phase, kind: 'request', stats: { ...stats } };
  }
  const wait = () =>
    new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
  if (a.vector === 'h2-rapid-reset' || a.vector === 'h2-continuation') {
    if (tlsPort === undefined) {
      // The origins speak cleartext HTTP/1.1 only: nothing to attack over HTTP/2; said, not hidden.
      await wait();
      return { vector: a.vector, phase, kind: 'h2', stats: { skipped: 'the target has no HTTP/2 (TLS) listener' } };
    }
    const h = startH2Attack({
      kind: a.vector,
      host,
      port: tlsPort,
      rate,
      maxConnections: a.max_connections,
      source,
    });
    await wait();
    return { vector: a.vector, phase, kind: 'h2', stats: { ...h.stop() } };
  }
  const slow = startSlowAttack({
    kind: a.vector as SlowKind,
    host,
    port,
    rate,
    maxConnections: a.max_connections,
    source,
  });
  await wait();
  return { vector: a.vector, phase, kind: 'connection', stats: { ...slow.stop() } };
}
