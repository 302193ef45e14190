import { PASS, type Stage } from '../pipeline/types.ts';
import type { DetectConfig } from './config.ts';
import type { Detector } from './detector.ts';
import { requestShape } from './facts.ts';
import { scoreOf } from './score.ts';

// Writes ctx.score for the challenge stage and always passes: scoring informs, the challenge stage decides.
// Place it after identity/ (it reads ctx.client) and before challenge/.

export function createScoreStage(detector: Detector, weights: DetectConfig['score']): Stage {
  return {
    name: 'score',
    run(ctx) {
      const snap = detector.snapshot;
      const h = ctx.headers;
      const flagged = snap.shapes.size > 0 && snap.shapes.has(requestShape(ctx).shapeKey);
      const s = scoreOf(
        {
          mode: snap.mode,
          flaggedShape: flagged,
          orphanPost: ctx.method === 'POST' && !detector.formSeen(ctx.client?.ip ?? ctx.peerIp, ctx.path),
          hasCookie: h.cookie !== undefined,
          hasReferer: h.referer !== undefined,
        },
        weights,
      );
      if (s > (ctx.score ?? 0)) ctx.score = s;
      return PASS;
    },
  };
}
