import { type Histogram, type LatencySummary, newHistogram, recordMs, summarise } from '../load/latency.ts';

// Everything a run measures, bucketed per phase and per second. Bounded: one bucket per second of the
// scenario (scenarios last at most hours), a fixed set of route classes, per-second latency samples capped.

export const routeClasses = ['critical', 'normal', 'bulk', 'static'] as const;
export type RouteClass = (typeof routeClasses)[number];
export type LegitOutcome = 'ok' | 'challenged' | 'blocked' | 'error';
export type AttackOutcome = 'served' | 'refused' | 'error';

export interface Second {
  t: number;
  legit_ok: number;
  legit_total: number;
  legit_challenged: number;
  legit_blocked: number;
  legit_p99_ms: number | null;
  attack_sent: number;
  attack_refused: number;
  attack_reached_origin: number;
  gateway_cpu_ratio: number | null;
  gateway_rss_mb: number | null;
  mode: string | null;
}

interface PhaseAcc {
  name: string;
  startS: number;
  endS: number;
  legit: Histogram;
  perClass: Record<RouteClass, { hist: Histogram; total: number; ok: number }>;
  legitTotal: number;
  legitOk: number;
  challenged: number;
  blocked: number;
  solves: Histogram;
  solveQueueMaxMs: number;
  attackSent: number;
  attackRefused: number;
  attackErrors: number;
  reachedOrigin: number;
}

const SAMPLES_PER_SECOND = 2000;
const REFUSALS_KEPT = 50;

/** A legit step the target refused or challenged: what, when, and the gateway's reason when it gives one. */
export interface LegitRefusal {
  t: number;
  step: string;
  status: number;
  decision_id: string | null;
  /** The rule from the gateway's explain API (Rempart); null when unknown. */
  rule: string | null;
}

export class Collector {
  readonly t0: number;
  private readonly seconds: Second[] = [];
  private readonly samples: number[][] = [];
  private readonly phases: PhaseAcc[] = [];
  private readonly overall = newPhase('overall', 0, 0);
  /** The first legit refusals of the run, for the report (bounded). */
  readonly refusals: LegitRefusal[] = [];

  constructor(t0 = performance.now()) {
    this.t0 = t0;
  }

  beginPhase(name: string, at = performance.now()): void {
    const s = this.elapsedS(at);
    const prev = this.phases.at(-1);
    if (prev) prev.endS = s;
    this.phases.push(newPhase(name, s, s));
  }

  endRun(at = performance.now()): void {
    const prev = this.phases.at(-1);
    if (prev) prev.endS = this.elapsedS(at);
    for (const sec of this.seconds) this.settleSecond(sec);
  }

  /** Fill a finished second's legit p99 from its samples (progress line, end of run). */
  settleSecond(sec: Second): void {
    const xs = this.samples[sec.t];
    if (xs && xs.length > 0) {
      xs.sort((a, b) => a - b);
      sec.legit_p99_ms = Math.round(xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] * 10) / 10;
    }
  }

  elapsedS(at = performance.now()): number {
    return (at - this.t0) / 1000;
  }

  second(at = performance.now()): Second {
    const i = Math.max(0, Math.floor(this.elapsedS(at)));
    while (this.seconds.length <= i) {
      this.seconds.push({
        t: this.seconds.length,
        legit_ok: 0,
        legit_total: 0,
        legit_challenged: 0,
        legit_blocked: 0,
        legit_p99_ms: null,
        attack_sent: 0,
        attack_refused: 0,
        attack_reached_origin: 0,
        gateway_cpu_ratio: null,
        gateway_rss_mb: null,
        mode: null,
      });
      this.samples.push([]);
    }
    return this.seconds[i];
  }

  legit(cls: RouteClass, outcome: LegitOutcome, ms: number, at = performance.now()): void {
    const sec = this.second(at);
    sec.legit_total++;
    if (outcome === 'ok') sec.legit_ok++;
    if (outcome === 'challenged') sec.legit_challenged++;
    if (outcome === 'blocked') sec.legit_blocked++;
    const xs = this.samples[sec.t];
    if (outcome === 'ok' && xs.length < SAMPLES_PER_SECOND) xs.push(ms);
    for (const p of [this.overall, this.phases.at(-1)]) {
      if (!p) continue;
      p.legitTotal++;
      p.perClass[cls].total++;
      if (outcome === 'ok') {
        p.legitOk++;
        p.perClass[cls].ok++;
        recordMs(p.legit, ms);
        recordMs(p.perClass[cls].hist, ms);
      } else if (outcome === 'challenged') p.challenged++;
      else if (outcome === 'blocked') p.blocked++;
    }
  }

  /** Keeps the first refusals of legit steps; the returned record (or undefined past the bound) takes a rule later. */
  refusal(step: string, status: number, decisionId: string | null, at = performance.now()): LegitRefusal | undefined {
    if (this.refusals.length >= REFUSALS_KEPT) return undefined;
    const r: LegitRefusal = { t: Math.floor(this.elapsedS(at)), step, status, decision_id: decisionId, rule: null };
    this.refusals.push(r);
    return r;
  }

  /** A legit user solved a proof: its own time, and the wait for a free lab thread (left out of step latency). */
  solved(solveMs: number, queuedMs: number): void {
    for (const p of [this.overall, this.phases.at(-1)]) {
      if (!p) continue;
      recordMs(p.solves, solveMs);
      p.solveQueueMaxMs = Math.max(p.solveQueueMaxMs, Math.round(queuedMs));
    }
  }

  attack(outcome: AttackOutcome, at = performance.now()): void {
    const sec = this.second(at);
    sec.attack_sent++;
    if (outcome === 'refused') sec.attack_refused++;
    for (const p of [this.overall, this.phases.at(-1)]) {
      if (!p) continue;
      p.attackSent++;
      if (outcome === 'refused') p.attackRefused++;
      if (outcome === 'error') p.attackErrors++;
    }
  }

  /** Attack requests counted at the origin since the previous call. */
  reachedOrigin(n: number, at = performance.now()): void {
    if (n <= 0) return;
    this.second(at).attack_reached_origin += n;
    this.overall.reachedOrigin += n;
    const p = this.phases.at(-1);
    if (p) p.reachedOrigin += n;
  }

  timeline(): Second[] {
    return this.seconds;
  }

  phaseSummaries(): PhaseSummary[] {
    return this.phases.map(summarisePhase);
  }

  overallSummary(): PhaseSummary {
    return summarisePhase({ ...this.overall, endS: this.elapsedS() });
  }

  /**
   * Attack start → the moment after which legit success stays ≥ 95 % for the rest of the attack, judged on
   * a 3 s moving window (single seconds hold few legit requests). 0 when it never dropped; null when it had
   * not recovered by the end of the attack (the last 2 s of the attack were still bad).
   */
  timeToMitigate(attackStartS: number | null, attackEndS: number | null = null): number | null {
    if (attackStartS === null) return null;
    const from = Math.floor(attackStartS);
    const to = Math.min(this.seconds.length - 1, Math.ceil(attackEndS ?? this.seconds.length) - 1);
    if (to < from) return null;
    let lastBad = -1;
    for (let t = from; t <= to; t++) {
      let ok = 0;
      let total = 0;
      for (let u = Math.max(from, t - 1); u <= Math.min(to, t + 1); u++) {
        ok += this.seconds[u].legit_ok;
        total += this.seconds[u].legit_total;
      }
      if (total > 0 && ok / total < 0.95) lastBad = t;
    }
    if (lastBad < 0) return 0;
    if (lastBad >= to - 1) return null;
    return lastBad + 1 - from;
  }
}

export interface PhaseSummary {
  name: string;
  start_s: number;
  end_s: number;
  legit: LegitSummary;
  attack: {
    requests: number;
    refused: number;
    errors: number;
    reached_origin: number;
    reached_origin_ratio: number | null;
  };
}

export interface LegitSummary extends LatencySummary {
  requests: number;
  success_ratio: number | null;
  challenged: number;
  blocked: number;
  per_class: Record<
    RouteClass,
    { requests: number; success_ratio: number | null; p50_ms: number | null; p99_ms: number | null }
  >;
  /**
   * Proofs of work legit users solved (then retried and counted by outcome). Step latencies include each solve's
   * own time but not lab_queue: the wait for one of the lab's shared solver threads, which no real device has.
   */
  solved: { count: number; p50_ms: number | null; p99_ms: number | null; lab_queue_max_ms: number };
}

function newPhase(name: string, startS: number, endS: number): PhaseAcc {
  const perClass = {} as PhaseAcc['perClass'];
  for (const c of routeClasses) perClass[c] = { hist: newHistogram(), total: 0, ok: 0 };
  return {
    name,
    startS,
    endS,
    legit: newHistogram(),
    perClass,
    legitTotal: 0,
    legitOk: 0,
    challenged: 0,
    blocked: 0,
    solves: newHistogram(),
    solveQueueMaxMs: 0,
    attackSent: 0,
    attackRefused: 0,
    attackErrors: 0,
    reachedOrigin: 0,
  };
}

const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 10_000) / 10_000);

function solvedSummary(p: PhaseAcc): LegitSummary['solved'] {
  const s = summarise(p.solves);
  return { count: s.count, p50_ms: s.p50_ms, p99_ms: s.p99_ms, lab_queue_max_ms: p.solveQueueMaxMs };
}

function summarisePhase(p: PhaseAcc): PhaseSummary {
  const per_class = {} as LegitSummary['per_class'];
  for (const c of routeClasses) {
    const s = summarise(p.perClass[c].hist);
    per_class[c] = {
      requests: p.perClass[c].total,
      success_ratio: ratio(p.perClass[c].ok, p.perClass[c].total),
      p50_ms: s.p50_ms,
      p99_ms: s.p99_ms,
    };
  }
  return {
    name: p.name,
    start_s: Math.round(p.startS * 10) / 10,
    end_s: Math.round(p.endS * 10) / 10,
    legit: {
      requests: p.legitTotal,
      success_ratio: ratio(p.legitOk, p.legitTotal),
      challenged: p.challenged,
      blocked: p.blocked,
      ...summarise(p.legit),
      per_class,
      solved: solvedSummary(p),
    },
    attack: {
      requests: p.attackSent,
      refused: p.attackRefused,
      errors: p.attackErrors,
      reached_origin: p.reachedOrigin,
      reached_origin_ratio: p.attackSent === 0 ? null : Math.min(1, ratio(p.reachedOrigin, p.attackSent) ?? 0),
    },
  };
}
