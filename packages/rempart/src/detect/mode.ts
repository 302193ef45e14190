import type { Mode } from '../pipeline/types.ts';

// normal → elevated → under-attack. Going up is immediate (time to mitigate is the product metric);
// going down takes one step at a time, only after `calmTicks` consecutive calm ticks, measured against
// lower exit thresholds, and after the mode's minimum dwell: no flapping at a threshold's edge.

export type Level = 0 | 1 | 2;
export const MODES: readonly Mode[] = ['normal', 'elevated', 'under-attack'];

export interface ModeState {
  readonly mode: Mode;
  /** When the current mode was entered. */
  readonly since: number;
  readonly calmTicks: number;
  readonly pinned: boolean;
}

export interface ModeParams {
  readonly calmTicks: number;
  readonly minDwellMs: { readonly elevated: number; readonly 'under-attack': number };
}

export function rankOf(m: Mode): Level {
  return m === 'normal' ? 0 : m === 'elevated' ? 1 : 2;
}

/**
 * @param enter the level the signals ask for, judged on the entry thresholds
 * @param stay  the level the signals still justify, judged on the (lower) exit thresholds
 * @param pin   operator pin; undefined lets the signals decide
 */
export function decideMode(s: ModeState, enter: Level, stay: Level, now: number, p: ModeParams, pin?: Mode): ModeState {
  if (pin !== undefined) {
    if (s.pinned && s.mode === pin) return s;
    return { mode: pin, since: s.mode === pin ? s.since : now, calmTicks: 0, pinned: true };
  }
  // Unpinned: the dwell restarts so the operator's release is not undone by the very next tick.
  if (s.pinned) s = { mode: s.mode, since: now, calmTicks: 0, pinned: false };
  const rank = rankOf(s.mode);
  if (enter > rank) return { mode: MODES[enter], since: now, calmTicks: 0, pinned: false };
  if (stay >= rank) return s.calmTicks === 0 ? s : { ...s, calmTicks: 0 };
  const calm = s.calmTicks + 1;
  const dwell = s.mode === 'normal' ? 0 : p.minDwellMs[s.mode];
  if (calm >= p.calmTicks && now - s.since >= dwell) {
    return { mode: MODES[rank - 1], since: now, calmTicks: 0, pinned: false };
  }
  return { ...s, calmTicks: calm };
}
