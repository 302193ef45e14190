import type { DetectConfig } from './config.ts';
import { Ewma } from './ewma.ts';
import { hashString, hex8 } from './hash.ts';
import { SpaceSaving } from './space-saving.ts';

// Shapes: a botnet is one program behind thousands of IPs, so its requests look alike: same fingerprint,
// same path template, no cookie, no Referer. The book learns each route's normal mix of shapes in
// peacetime (share of the route's requests per shape, EWMA, bounded map) and, each tick, ranks the
// shapes over-represented against that mix. A legit flash crowd keeps the mix and ranks nothing.

const SEP = '|';

/** route|METHOD|template|fingerprint|cr (c: has cookie, r: has Referer). */
export function shapeKey(
  route: string,
  method: string,
  template: string,
  fingerprint: string,
  hasCookie: boolean,
  hasReferer: boolean,
): string {
  return (
    route + SEP + method + SEP + template + SEP + fingerprint + SEP + (hasCookie ? 'c' : '-') + (hasReferer ? 'r' : '-')
  );
}

export interface ShapeParts {
  route: string;
  method: string;
  template: string;
  fingerprint: string;
  cookie: boolean;
  referer: boolean;
}

/** The parts of a shape key, for the admin API and logs (never on the hot path). */
export function describeShape(key: string): ShapeParts {
  const p = key.split(SEP);
  const flags = p.at(-1) ?? '--';
  return {
    route: p[0],
    method: p[1],
    template: p.slice(2, -2).join(SEP),
    fingerprint: p.at(-2) ?? '',
    cookie: flags[0] === 'c',
    referer: flags[1] === 'r',
  };
}

export function shapeId(key: string): string {
  return hex8(hashString(key));
}

function routeOf(key: string): string {
  return key.slice(0, key.indexOf(SEP));
}

/** The client part of a shape (fingerprint|flags): what kind of program, whatever the route. */
function clientKindOf(key: string): string {
  return key.slice(key.lastIndexOf(SEP, key.length - 4) + 1);
}

const MAX_KINDS = 1024;

export interface RankedShape {
  readonly id: string;
  readonly key: string;
  readonly route: string;
  /** Requests of this shape in the tick (lower bound). */
  readonly count: number;
  /** Share of its route's requests in the tick. */
  readonly share: number;
  /** Baseline share in peacetime (0 when never seen). */
  readonly baseline: number;
  /** share / max(baseline, floor). */
  readonly over: number;
  /** Requests above what the baseline mix predicts for this route's volume. */
  readonly excess: number;
  readonly flagged: boolean;
}

interface BaselineEntry {
  share: number;
}

const MAX_ROUTES = 512;

export class ShapeBook {
  private readonly cfg: DetectConfig['shapes'];
  private readonly alpha: number;
  private readonly warmup: number;
  private readonly tick: SpaceSaving;
  private readonly routeCounts = new Map<string, number>();
  private readonly baseline = new Map<string, BaselineEntry>();
  private readonly routeRate = new Map<string, Ewma>();
  /**
   * Share of all traffic per client kind: the reference for routes never seen in peacetime, so a legit
   * crowd on a brand-new route (an incident page) is judged against the usual mix of browsers, not against nothing.
   */
  private readonly kinds = new Map<string, BaselineEntry>();
  /** Sum of the baseline shares per route: a route's own mix is trusted once it covers most of its traffic. */
  private readonly routeMix = new Map<string, number>();
  private learned = 0;

  constructor(cfg: DetectConfig['shapes'], alpha: number, warmup: number) {
    this.cfg = cfg;
    this.alpha = alpha;
    this.warmup = warmup;
    this.tick = new SpaceSaving(cfg.tracked);
  }

  observe(key: string, route: string): void {
    this.tick.offer(key);
    const n = this.routeCounts.get(route);
    if (n !== undefined) this.routeCounts.set(route, n + 1);
    else if (this.routeCounts.size < MAX_ROUTES) this.routeCounts.set(route, 1);
  }

  get baselineSize(): number {
    return this.baseline.size;
  }

  /** Baseline requests per second of one shape (its route's baseline rate × its baseline share). */
  baselineRate(key: string): number {
    const b = this.baseline.get(key);
    const r = this.routeRate.get(routeOf(key));
    return b && r ? b.share * r.mean : 0;
  }

  /** This tick's shapes, most excessive first. Flags only when the caller says the baseline is warm. */
  rank(warm: boolean, limit = 32): RankedShape[] {
    const out: RankedShape[] = [];
    const { floor_share: floor, over_factor: factor, min_count: minCount } = this.cfg;
    for (const hh of this.tick.top()) {
      const route = routeOf(hh.key);
      const total = this.routeCounts.get(route) ?? hh.count;
      const count = hh.count - hh.error;
      const share = total > 0 ? count / total : 0;
      const known = (this.routeMix.get(route) ?? 0) >= 0.5;
      const baseline = known
        ? (this.baseline.get(hh.key)?.share ?? 0)
        : (this.kinds.get(clientKindOf(hh.key))?.share ?? 0);
      const over = share / Math.max(baseline, floor);
      const excess = count - baseline * total;
      const flagged = warm && over >= factor && count >= minCount;
      out.push({ id: shapeId(hh.key), key: hh.key, route, count, share, baseline, over, excess, flagged });
    }
    out.sort((a, b) => Number(b.flagged) - Number(a.flagged) || b.excess - a.excess);
    return out.length > limit ? out.slice(0, limit) : out;
  }

  /** Folds this tick into the baseline; `weight` < 1 learns slowly (elevated but calm mix). */
  learn(weight: number): void {
    this.learned++;
    const a = Math.min(1, Math.max(this.alpha * weight, this.learned <= this.warmup ? 1 / this.learned : 0));
    const seen = new Map<string, number>();
    for (const hh of this.tick.top()) seen.set(hh.key, hh.count - hh.error);
    // Decay shapes of routes that had traffic this tick and did not show; routes without traffic keep theirs.
    for (const [key, e] of this.baseline) {
      const route = routeOf(key);
      const total = this.routeCounts.get(route);
      if (total === undefined) continue;
      const share = (seen.get(key) ?? 0) / total;
      e.share += a * (share - e.share);
      seen.delete(key);
      if (e.share < 1e-5) this.baseline.delete(key);
    }
    for (const [key, count] of seen) {
      const total = this.routeCounts.get(routeOf(key));
      if (total) this.baseline.set(key, { share: (a * count) / total });
    }
    if (this.baseline.size > this.cfg.baseline_capacity) this.evict();
    this.learnKinds(a);
    this.routeMix.clear();
    for (const [key, e] of this.baseline) {
      const route = routeOf(key);
      if (this.routeMix.has(route) || this.routeMix.size < MAX_ROUTES) {
        this.routeMix.set(route, (this.routeMix.get(route) ?? 0) + e.share);
      }
    }
    for (const [route, count] of this.routeCounts) {
      let r = this.routeRate.get(route);
      if (r === undefined) {
        if (this.routeRate.size >= MAX_ROUTES) continue;
        r = new Ewma(this.alpha, this.warmup);
        this.routeRate.set(route, r);
      }
      r.update(count, weight);
    }
  }

  private learnKinds(a: number): void {
    const total = this.tick.seen;
    if (total === 0) return;
    const now = new Map<string, number>();
    for (const hh of this.tick.top()) {
      const k = clientKindOf(hh.key);
      now.set(k, (now.get(k) ?? 0) + hh.count - hh.error);
    }
    for (const [k, e] of this.kinds) {
      e.share += a * ((now.get(k) ?? 0) / total - e.share);
      now.delete(k);
      if (e.share < 1e-5) this.kinds.delete(k);
    }
    for (const [k, n] of now) if (this.kinds.size < MAX_KINDS) this.kinds.set(k, { share: (a * n) / total });
  }

  /** Keeps the 90 % most common shapes when the baseline is full. */
  private evict(): void {
    const entries = [...this.baseline.entries()].sort((x, y) => y[1].share - x[1].share);
    const keep = Math.floor(this.cfg.baseline_capacity * 0.9);
    for (let i = keep; i < entries.length; i++) this.baseline.delete(entries[i][0]);
  }

  endTick(): void {
    this.tick.clear();
    this.routeCounts.clear();
  }
}
