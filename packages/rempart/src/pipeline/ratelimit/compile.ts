import type { DistinctLimitConfig, RateLimitConfig } from '../../config/schema.ts';
import type { GcraParams } from '../../state/store.ts';
import type { Mode, RouteClass } from '../types.ts';
import { compileKey, compilePart, type KeyBuilder, type PartReader, readsForm } from './key.ts';

// Rate and distinct-count rules compiled once at load: rule id, key builder, GCRA parameters, scope sets.
// Scope by route name and class is resolved per route at load (route/compile.ts); only methods remain per request.

interface RuleScope {
  readonly routes: ReadonlySet<string> | undefined;
  readonly classes: ReadonlySet<RouteClass> | undefined;
  /** Checked per request (one Set lookup); undefined = every method. */
  readonly methods: ReadonlySet<string> | undefined;
}

export interface CompiledRateRule extends RuleScope {
  readonly kind: 'rate';
  readonly name: string;
  /** "ratelimit/<name>": the id in headers, logs, metrics and explain. */
  readonly rule: string;
  readonly key: KeyBuilder;
  /** As configured (mode normal with multiplier 1). */
  readonly params: GcraParams;
  /** Per detection mode, scaled by detect.modes.<mode>.limit_multiplier; picked per request without allocating. */
  readonly paramsByMode: Readonly<Record<Mode, GcraParams>>;
  readonly dryRun: boolean;
  readonly needsForm: boolean;
}

export interface CompiledDistinctRule extends RuleScope {
  readonly kind: 'distinct';
  readonly name: string;
  readonly rule: string;
  readonly key: KeyBuilder;
  readonly member: PartReader;
  readonly limit: number;
  readonly limitByMode: Readonly<Record<Mode, number>>;
  readonly windowMs: number;
  readonly dryRun: boolean;
  readonly needsForm: boolean;
}

const setOf = <T>(xs: readonly T[] | undefined): ReadonlySet<T> | undefined =>
  xs === undefined ? undefined : new Set(xs);

/** Allowance multipliers per detection mode (1 = as configured; 0.5 = half the rate and burst). */
export type ModeMultipliers = Readonly<Record<Mode, number>>;
export const NO_MULTIPLIERS: ModeMultipliers = { normal: 1, elevated: 1, 'under-attack': 1 };

function scaled(rate: number, burst: number, m: number): GcraParams {
  return { emissionMs: 1000 / (rate * m), burst: Math.floor(burst * m) };
}

export function compileRateRule(c: RateLimitConfig, m: ModeMultipliers = NO_MULTIPLIERS): CompiledRateRule {
  return {
    kind: 'rate',
    name: c.name,
    rule: `ratelimit/${c.name}`,
    key: compileKey(`rl:${c.name}:`, c.key),
    params: { emissionMs: 1000 / c.rate, burst: c.burst },
    paramsByMode: {
      normal: scaled(c.rate, c.burst, m.normal),
      elevated: scaled(c.rate, c.burst, m.elevated),
      'under-attack': scaled(c.rate, c.burst, m['under-attack']),
    },
    dryRun: c.mode === 'dry-run',
    needsForm: readsForm(c.key),
    routes: setOf(c.routes),
    classes: setOf(c.classes),
    methods: setOf(c.methods),
  };
}

export function compileDistinctRule(c: DistinctLimitConfig, m: ModeMultipliers = NO_MULTIPLIERS): CompiledDistinctRule {
  const lim = (x: number) => Math.max(1, Math.floor(c.limit * x));
  return {
    kind: 'distinct',
    name: c.name,
    rule: `ratelimit/${c.name}`,
    key: compileKey(`dl:${c.name}:`, c.key),
    member: compilePart(c.count),
    limit: c.limit,
    limitByMode: { normal: lim(m.normal), elevated: lim(m.elevated), 'under-attack': lim(m['under-attack']) },
    windowMs: c.window_s * 1000,
    dryRun: c.mode === 'dry-run',
    needsForm: readsForm(c.key) || c.count.startsWith('form:'),
    routes: setOf(c.routes),
    classes: setOf(c.classes),
    methods: setOf(c.methods),
  };
}

/** Whether a rule applies to a route (resolved at load, once per route). */
export function appliesToRoute(r: RuleScope, routeName: string, cls: RouteClass, isDefault: boolean): boolean {
  if (r.routes !== undefined && (isDefault || !r.routes.has(routeName))) return false;
  if (r.classes !== undefined && !r.classes.has(cls)) return false;
  return true;
}
