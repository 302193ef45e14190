import diagnosticsChannel from 'node:diagnostics_channel';
import type { Clock } from '../core/clock.ts';
import type { DetectSnapshot, Mode, RequestCtx, Verdict } from '../pipeline/types.ts';
import type { GcraParams } from '../state/store.ts';
import type { DetectConfig, ModePolicyConfig } from './config.ts';
import { TickCounters, type TickSummary } from './counters.ts';
import { Ewma } from './ewma.ts';
import { emptyFacts, fillFacts, type ObserveFacts } from './facts.ts';
import { FormFlow } from './flow.ts';
import { decideMode, type Level, type ModeState } from './mode.ts';
import { pathTemplate } from './path-template.ts';
import { computePressure, type PressureSource } from './pressure.ts';
import { describeShape, type RankedShape, ShapeBook, type ShapeParts, shapeKey } from './shape.ts';
import { causes, combine, type GroupLevels, groupLevels, type SignalValues, zeroSignals } from './signals.ts';

// The detector: observe() once per finished request (O(1), sketch updates only), tick() once per
// tick_ms to turn the tick's aggregates into signals, a mode and per-shape actions, published as one
// immutable snapshot that stages read (Envoy's overload manager).

export type ShapeActionKind = 'challenge' | 'limit' | 'block';

export interface ShapeAction {
  readonly id: string;
  readonly key: string;
  readonly action: ShapeActionKind;
  /** Decision rule id: names the shape and the mode, e.g. detect/shape:1a2b3c4d:under-attack */
  readonly rule: string;
  readonly rate: GcraParams;
  readonly difficulty: number;
  readonly dryRun: boolean;
  /** Requests this action matched (counted by the stage). */
  readonly hits: { n: number };
}

export interface DetectorSnapshot extends DetectSnapshot {
  readonly tick: number;
  readonly signals: Readonly<SignalValues>;
  readonly policy: ModePolicyConfig;
  /** Shapes acted upon, by shape key (detect/shape.ts); empty in normal mode. */
  readonly shapes: ReadonlyMap<string, ShapeAction>;
}

export interface Transition {
  readonly at: number;
  readonly from: Mode;
  readonly to: Mode;
  readonly pinned: boolean;
  readonly causes: { signal: string; value: number; threshold: number }[];
  readonly topShapes: { id: string; key: string; over: number; count: number }[];
}

export interface DetectorOptions {
  /** Origin/admission gauges for pressure (injected: the upstream limiter and admission queue). */
  pressure?: PressureSource;
  /** Called on every mode transition (the lead logs it and counts it as a metric). */
  onTransition?: (t: Transition) => void;
}

export interface Detector {
  /** Once per finished request; reads f during the call only (callers may reuse it). */
  observe(f: ObserveFacts): void;
  /** observe() with the facts of a finished request, written into the detector's scratch facts. */
  observeRequest(ctx: RequestCtx, verdict: Verdict['kind'], status: number, upstreamMs: number): void;
  tick(now?: number): DetectorSnapshot;
  readonly snapshot: DetectorSnapshot;
  /** Operator pin (admin API); undefined releases it. Applies at once. */
  pin(mode: Mode | undefined): DetectorSnapshot;
  explain(): DetectExplain;
  /** Read-only flow check for scoring: did this client GET this path recently (before posting to it)? */
  formSeen(ip: string, path: string): boolean;
  /** "Why was I refused": the shape behind a detect/shape:<id>:<mode> rule, while it is remembered. */
  explainRule(rule: string): ShapeRuleExplain | undefined;
  /** Calls tick() every tick_ms on a timer (unref'd); returns a stop function. */
  start(onSnapshot: (s: DetectorSnapshot) => void): () => void;
}

export interface DetectExplain {
  mode: Mode;
  since: number;
  pinned: boolean;
  tick: number;
  levels: { enter: GroupLevels; stay: GroupLevels };
  signals: Record<string, { value: number; elevated: number; under_attack: number }>;
  baselines: Record<string, { mean: number; ready: boolean }>;
  lastTick: TickSummary | undefined;
  shapes: (RankedShape & { parts: ShapeParts; action?: ShapeActionKind; hits?: number; dryRun?: boolean })[];
  transitions: Transition[];
}

export interface ShapeRuleExplain {
  id: string;
  key: string;
  parts: ShapeParts;
  action: ShapeActionKind | 'none';
  actingSince: number;
  lastFlaggedAt: number;
  hits: number;
  mode: Mode;
}

const modeChannel = diagnosticsChannel.channel('rempart:mode');
const MAX_TRANSITIONS = 100;

interface Active {
  id: string;
  key: string;
  actingSince: number;
  lastFlaggedAt: number;
  hits: { n: number };
}

export function createDetector(cfg: DetectConfig, clock: Clock, opts: DetectorOptions = {}): Detector {
  const counters = new TickCounters();
  const book = new ShapeBook(cfg.shapes, cfg.baseline_alpha, cfg.warmup_ticks);
  const base = {
    rps: new Ewma(cfg.baseline_alpha, cfg.warmup_ticks),
    sources: new Ewma(cfg.baseline_alpha, cfg.warmup_ticks),
    uniqueUrl: new Ewma(cfg.baseline_alpha, cfg.warmup_ticks),
    queryEntropy: new Ewma(cfg.baseline_alpha, cfg.warmup_ticks),
    postShare: new Ewma(cfg.baseline_alpha, cfg.warmup_ticks),
    latencyMs: new Ewma(cfg.baseline_alpha, cfg.warmup_ticks),
    orphanPost: new Ewma(cfg.baseline_alpha, cfg.warmup_ticks),
  };
  const flow = new FormFlow(20, 60_000);
  let flowNow = clock.now();
  let orphans = { posts: 0, share: 0 };
  const perTick = cfg.tick_ms / 1000;
  const minRequests = Math.max(1, cfg.min_rps * perTick);
  const params = {
    calmTicks: cfg.calm_ticks,
    minDwellMs: { elevated: cfg.min_dwell_s.elevated * 1000, 'under-attack': cfg.min_dwell_s.under_attack * 1000 },
  };
  const active = new Map<string, Active>();
  const maxActive = cfg.shapes.max_flagged * 4;
  const transitions: Transition[] = [];
  let pinned: Mode | undefined = cfg.pin;
  let state: ModeState = { mode: cfg.pin ?? 'normal', since: clock.now(), calmTicks: 0, pinned: cfg.pin !== undefined };
  let tickNo = 0;
  let lastSummary: TickSummary | undefined;
  let lastRanked: RankedShape[] = [];
  let lastSignals = zeroSignals();
  let lastLevels = {
    enter: { volume: 0, composition: 0, health: 0 },
    stay: { volume: 0, composition: 0, health: 0 },
  } as {
    enter: GroupLevels;
    stay: GroupLevels;
  };
  // Latched per episode, so the mode-wide measures do not flap with the pressure they relieve.
  let engaged = false;
  let snapshot = build(0, new Map());

  function policyOf(m: Mode): ModePolicyConfig {
    return m === 'normal' ? cfg.modes.normal : m === 'elevated' ? cfg.modes.elevated : cfg.modes.under_attack;
  }

  function build(pressure: number, shapes: Map<string, ShapeAction>): DetectorSnapshot {
    if (state.mode === 'normal') engaged = false;
    else if (state.pinned || pressure >= cfg.engage_pressure) engaged = true;
    return Object.freeze({
      mode: state.mode,
      pressure,
      pinned: state.pinned,
      engaged,
      since: state.since,
      tick: tickNo,
      signals: Object.freeze({ ...lastSignals }),
      policy: policyOf(state.mode),
      shapes,
    });
  }

  function signalsOf(s: TickSummary, ranked: RankedShape[]): SignalValues {
    const v = zeroSignals();
    const enough = s.requests >= minRequests;
    const warm = isWarm();
    if (enough && warm) {
      v.rate_ratio = s.requests / Math.max(base.rps.mean, minRequests);
      v.sources_ratio = s.sources / Math.max(base.sources.mean, minRequests);
      v.unique_url_delta = Math.max(0, s.uniqueUrlRatio - base.uniqueUrl.mean);
      if (s.queryEntropy > 0) v.query_entropy_delta = Math.max(0, s.queryEntropy - base.queryEntropy.mean);
      v.post_share_delta = Math.max(0, s.postShare - base.postShare.mean);
      if (orphans.posts >= 10) v.orphan_post_delta = Math.max(0, orphans.share - base.orphanPost.mean);
    }
    if (enough) {
      let excess = 0;
      for (const r of ranked) if (r.flagged) excess += r.excess;
      v.shape_share = excess / s.requests;
    }
    const latencyRatio =
      warm && base.latencyMs.n >= 3 && s.forwarded >= 10 ? s.latencyMeanMs / Math.max(base.latencyMs.mean, 5) : 0;
    v.latency_ratio = latencyRatio;
    v.error_rate = s.forwarded >= 10 ? s.errorRate : 0;
    v.pressure = computePressure(opts.pressure?.() ?? {}, latencyRatio, v.error_rate);
    for (const k in v) v[k as keyof SignalValues] = Math.round(v[k as keyof SignalValues] * 1000) / 1000;
    return v;
  }

  /** Judged once warm-up ticks have passed and at least three calm ticks were learned. */
  function isWarm(): boolean {
    return tickNo > cfg.warmup_ticks && base.rps.n >= 3;
  }

  /** During warm-up nothing is judged yet, but a sudden flood must not become the baseline either. */
  function surging(s: TickSummary): boolean {
    return base.rps.n >= 3 && s.requests > cfg.thresholds.rate_ratio.elevated * Math.max(base.rps.mean, minRequests);
  }

  function learn(s: TickSummary, weight: number): void {
    base.rps.update(s.requests, weight);
    base.sources.update(s.sources, weight);
    base.uniqueUrl.update(s.uniqueUrlRatio, weight);
    if (s.queryEntropy > 0) base.queryEntropy.update(s.queryEntropy, weight);
    base.postShare.update(s.postShare, weight);
    if (orphans.posts >= 10) base.orphanPost.update(orphans.share, weight);
    if (s.forwarded > 0) base.latencyMs.update(s.latencyMeanMs, weight);
    book.learn(weight);
  }

  function shapeActions(now: number, ranked: RankedShape[]): Map<string, ShapeAction> {
    let flagged = 0;
    for (const r of ranked) {
      if (!r.flagged || flagged >= cfg.shapes.max_flagged) break;
      flagged++;
      const a = active.get(r.key);
      if (a) a.lastFlaggedAt = now;
      else if (active.size < maxActive)
        active.set(r.key, { id: r.id, key: r.key, actingSince: now, lastFlaggedAt: now, hits: { n: 0 } });
    }
    const forgetMs = cfg.actions.forget_after_s * 1000;
    const out = new Map<string, ShapeAction>();
    for (const [key, a] of active) {
      if (now - a.lastFlaggedAt > forgetMs) {
        active.delete(key);
        continue;
      }
      // Escalation counts from when the gateway started acting, not from a quiet flag in peacetime.
      if (state.mode === 'normal') {
        a.actingSince = now;
        continue;
      }
      const age = now - a.actingSince;
      const act = cfg.actions;
      const kind: ShapeActionKind =
        state.mode === 'elevated'
          ? 'challenge'
          : age >= act.block_after_s * 1000
            ? 'block'
            : age >= act.rate_limit_after_s * 1000
              ? 'limit'
              : 'challenge';
      const rate = Math.max(act.min_rate, (book.baselineRate(key) * act.rate_multiplier) / perTick);
      out.set(key, {
        id: a.id,
        key,
        action: kind,
        rule: `detect/shape:${a.id}:${state.mode}`,
        rate: { emissionMs: 1000 / rate, burst: act.burst },
        difficulty: act.challenge_difficulty,
        dryRun: act.mode === 'dry-run',
        hits: a.hits,
      });
    }
    return out;
  }

  function record(from: Mode, now: number): void {
    const t: Transition = {
      at: now,
      from,
      to: state.mode,
      pinned: state.pinned,
      causes: causes(lastSignals, cfg.thresholds, state.mode === 'normal' ? cfg.exit_factor : 1),
      topShapes: lastRanked
        .filter((r) => r.flagged)
        .slice(0, 5)
        .map((r) => ({ id: r.id, key: r.key, over: Math.round(r.over * 10) / 10, count: r.count })),
    };
    transitions.push(t);
    if (transitions.length > MAX_TRANSITIONS) transitions.shift();
    opts.onTransition?.(t);
    if (modeChannel.hasSubscribers) modeChannel.publish(t);
  }

  const scratch = emptyFacts();

  const detector: Detector = {
    observe(f) {
      const template = f.template ?? pathTemplate(f.path, f.query);
      counters.observe(f, template);
      flow.observe(f.ip, f.path, f.method, flowNow);
      book.observe(
        f.shapeKey ?? shapeKey(f.route, f.method, template, f.fingerprint, f.hasCookie, f.hasReferer),
        f.route,
      );
    },

    observeRequest(ctx, verdict, status, upstreamMs) {
      detector.observe(fillFacts(scratch, ctx, verdict, status, upstreamMs));
    },

    tick(now = clock.now()) {
      tickNo++;
      const s = counters.summary();
      orphans = flow.takeOrphanShare();
      flowNow = now;
      const ranked = book.rank(isWarm());
      const v = signalsOf(s, ranked);
      const enter = groupLevels(v, cfg.thresholds, 1);
      const stay = groupLevels(v, cfg.thresholds, cfg.exit_factor);
      const from = state.mode;
      state = decideMode(state, combine(enter) as Level, combine(stay) as Level, now, params, pinned);
      // Baselines learn from calm normal seconds; a long, well-mixed surge in elevated is learned slowly
      // so a lasting legit audience becomes the new normal, while an attack never poisons the baseline.
      if (state.mode === 'normal' && combine(enter) === 0 && !surging(s)) learn(s, 1);
      else if (state.mode === 'elevated' && !state.pinned && enter.composition === 0 && enter.health === 0)
        learn(s, 0.1);
      lastSummary = s;
      lastRanked = ranked;
      lastSignals = v;
      lastLevels = { enter, stay };
      const shapes = shapeActions(now, ranked);
      if (state.mode !== from) record(from, now);
      snapshot = build(v.pressure, shapes);
      counters.clear();
      book.endTick();
      return snapshot;
    },

    get snapshot() {
      return snapshot;
    },

    pin(mode) {
      pinned = mode;
      const from = state.mode;
      const now = clock.now();
      const rank = state.mode === 'normal' ? 0 : state.mode === 'elevated' ? 1 : 2;
      state = decideMode(state, rank as Level, rank as Level, now, params, pinned);
      if (state.mode !== from) record(from, now);
      snapshot = build(snapshot.pressure, shapeActions(now, []));
      return snapshot;
    },

    explain() {
      const signals: DetectExplain['signals'] = {};
      for (const k of Object.keys(lastSignals) as (keyof SignalValues)[]) {
        signals[k] = { value: lastSignals[k], ...cfg.thresholds[k] };
      }
      const baselines: DetectExplain['baselines'] = {};
      for (const [k, e] of Object.entries(base))
        baselines[k] = { mean: Math.round(e.mean * 1000) / 1000, ready: e.ready };
      return {
        mode: state.mode,
        since: state.since,
        pinned: state.pinned,
        tick: tickNo,
        levels: lastLevels,
        signals,
        baselines,
        lastTick: lastSummary,
        shapes: lastRanked.slice(0, 10).map((r) => {
          const a = snapshot.shapes.get(r.key);
          const parts = describeShape(r.key);
          return a ? { ...r, parts, action: a.action, hits: a.hits.n, dryRun: a.dryRun } : { ...r, parts };
        }),
        transitions: transitions.slice(-50),
      };
    },

    formSeen: (ip, path) => flow.seen(ip, path),

    explainRule(rule) {
      const m = /^detect\/shape:([0-9a-f]{8})/.exec(rule);
      if (m === null) return undefined;
      for (const a of active.values()) {
        if (a.id !== m[1]) continue;
        return {
          id: a.id,
          key: a.key,
          parts: describeShape(a.key),
          action: snapshot.shapes.get(a.key)?.action ?? 'none',
          actingSince: a.actingSince,
          lastFlaggedAt: a.lastFlaggedAt,
          hits: a.hits.n,
          mode: state.mode,
        };
      }
      return undefined;
    },

    start(onSnapshot) {
      const timer = setInterval(() => onSnapshot(detector.tick()), cfg.tick_ms);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
  return detector;
}
