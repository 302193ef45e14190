import type { DetectConfig } from './config.ts';
import type { Level } from './mode.ts';

// The named signals the mode is decided from, in three groups. Volume alone (a legit flash crowd) can
// only make the gateway elevated; under-attack needs volume plus a composition anomaly (the mix of
// shapes, URLs, query tokens or methods changed), or origin health failing on its own (low-and-slow).

export const SIGNALS = [
  'rate_ratio',
  'sources_ratio',
  'shape_share',
  'unique_url_delta',
  'query_entropy_delta',
  'post_share_delta',
  'orphan_post_delta',
  'pressure',
  'error_rate',
  'latency_ratio',
] as const;

export type SignalName = (typeof SIGNALS)[number];
export type SignalValues = Record<SignalName, number>;
export type Group = 'volume' | 'composition' | 'health';

export const GROUP: Readonly<Record<SignalName, Group>> = {
  rate_ratio: 'volume',
  sources_ratio: 'volume',
  shape_share: 'composition',
  unique_url_delta: 'composition',
  query_entropy_delta: 'composition',
  post_share_delta: 'composition',
  orphan_post_delta: 'composition',
  pressure: 'health',
  error_rate: 'health',
  latency_ratio: 'health',
};

export function zeroSignals(): SignalValues {
  const v = {} as SignalValues;
  for (const s of SIGNALS) v[s] = 0;
  return v;
}

export interface GroupLevels {
  volume: Level;
  composition: Level;
  health: Level;
}

/** Each group's level: the highest level among its signals, thresholds scaled by `factor` (1 to enter, exit_factor to stay). */
export function groupLevels(v: SignalValues, t: DetectConfig['thresholds'], factor: number): GroupLevels {
  const g: GroupLevels = { volume: 0, composition: 0, health: 0 };
  for (const s of SIGNALS) {
    const x = v[s];
    const th = t[s];
    const level: Level =
      th.under_attack > 0 && x >= th.under_attack * factor ? 2 : th.elevated > 0 && x >= th.elevated * factor ? 1 : 0;
    if (level > g[GROUP[s]]) g[GROUP[s]] = level;
  }
  return g;
}

export function combine(g: GroupLevels): Level {
  if (g.health === 2) return 2;
  if ((g.volume >= 1 && g.composition === 2) || (g.volume === 2 && g.composition >= 1)) return 2;
  return g.volume >= 1 || g.composition >= 1 || g.health >= 1 ? 1 : 0;
}

/** The signals at or above their elevated threshold, strongest first: the "why" of a transition. */
export function causes(
  v: SignalValues,
  t: DetectConfig['thresholds'],
  factor = 1,
): { signal: SignalName; value: number; threshold: number }[] {
  const out: { signal: SignalName; value: number; threshold: number }[] = [];
  for (const s of SIGNALS) {
    const th = t[s].elevated * factor;
    if (th > 0 && v[s] >= th) out.push({ signal: s, value: v[s], threshold: th });
  }
  return out.sort((a, b) => b.value / b.threshold - a.value / a.threshold);
}
