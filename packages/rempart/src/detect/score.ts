import type { Mode } from '../pipeline/types.ts';
import type { DetectConfig } from './config.ts';

// The per-request score (0..1) the challenge stage turns into "challenge" and harder difficulty: the
// request's shape is being acted upon, it posts a form it never loaded, it keeps no cookie, it arrives
// bare during an attack. Each alone stays under the challenge threshold (0.5 by default) except the
// flagged shape; a blockable score (0.95) is never reached here: blocking is the shape stage's call.

export interface ScoreFacts {
  readonly mode: Mode;
  readonly flaggedShape: boolean;
  readonly orphanPost: boolean;
  readonly hasCookie: boolean;
  readonly hasReferer: boolean;
}

const MAX_SCORE = 0.9;

export function scoreOf(f: ScoreFacts, w: DetectConfig['score']): number {
  let s = 0;
  if (f.flaggedShape) s += w.flagged_shape;
  if (f.orphanPost) s += w.orphan_post;
  if (!f.hasCookie) s += w.no_cookie;
  if (f.mode === 'under-attack' && !f.hasCookie && !f.hasReferer) s += w.bare_under_attack;
  return Math.min(MAX_SCORE, Math.round(s * 1000) / 1000);
}
