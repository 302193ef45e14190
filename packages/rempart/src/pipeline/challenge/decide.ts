import type { Mode, RouteClass, Verdict } from '../types.ts';

// Pure challenge policy: facts about one request → pass | challenge | block. No clock, no I/O.

export type ClearanceState = 'valid' | 'none' | 'invalid' | 'spent';

export interface ChallengeFacts {
  readonly routeClass: RouteClass;
  readonly mode: Mode;
  /** 0..1 suspicion from detection; 0 when unknown. */
  readonly score: number;
  readonly allowListed: boolean;
  readonly clearance: ClearanceState;
  /** 0..1 load from the detection snapshot. */
  readonly pressure: number;
  /**
   * The mode's class-wide challenges apply: always in normal mode; in elevated/under-attack once the detector
   * says its measures are engaged (snapshot.engaged: pinned, or origin pressure high). Before that, the
   * per-shape actions alone meet the flood and people are not asked for a proof of work.
   */
  readonly classWide: boolean;
  /**
   * The client was here before the attack: a live visitor pass (handed out in normal mode) or a session the origin
   * issued. It is spared the mode's class-wide challenges only; score-based challenges still apply to it.
   */
  readonly known: boolean;
}

export interface ChallengeParams {
  readonly classes: Readonly<Record<Mode, readonly RouteClass[]>>;
  readonly challengeScore: number;
  readonly blockScore: number;
  readonly baseBits: number;
  readonly maxBits: number;
  /** Cap from measured solve times so a median device stays under max_solve_ms (stage computes it). */
  readonly deviceCapBits: number;
}

const PASS: Verdict = Object.freeze({ kind: 'pass' });
const BLOCK: Verdict = Object.freeze({ kind: 'block', rule: 'challenge/block-score', status: 403 });
const MODE_BITS: Readonly<Record<Mode, number>> = { normal: 0, elevated: 1, 'under-attack': 2 };

export function difficulty(f: ChallengeFacts, p: ChallengeParams): number {
  const raw = p.baseBits + MODE_BITS[f.mode] + Math.round(f.score * 4) + Math.round(Math.min(1, f.pressure) * 2);
  return Math.max(1, Math.min(raw, p.maxBits, p.deviceCapBits));
}

export function decide(f: ChallengeFacts, p: ChallengeParams): Verdict {
  if (f.allowListed) return PASS;
  if (f.score >= p.blockScore) return BLOCK;
  // A valid clearance is the end of the story until it expires or is spent: no re-challenge loops.
  if (f.clearance === 'valid') return PASS;
  let rule: string | undefined;
  if (f.clearance === 'spent') rule = 'challenge/clearance-spent';
  else if (f.score >= p.challengeScore) rule = 'challenge/score';
  else if (f.classWide && !f.known && p.classes[f.mode].includes(f.routeClass))
    rule = `challenge/${f.mode}-${f.routeClass}`;
  if (rule === undefined) return PASS;
  return { kind: 'challenge', rule, difficulty: difficulty(f, p) };
}
