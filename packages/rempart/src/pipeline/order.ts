import { accessStage } from './access/stage.ts';
import { banStage } from './ban/stage.ts';
import { identityStage } from './identity/stage.ts';
import { ratelimitStage } from './ratelimit/stage.ts';
import type { Stage } from './types.ts';

// THE stage list, in request order (DESIGN.md): identity → access → ban → ratelimit → score → detect (shape) →
// challenge → admission. Stages made by factories at startup (they hold controllers or a detector) are
// passed in; admission stays last because it hands out a ticket that must be released.

export interface LateStages {
  readonly score?: Stage;
  readonly detect?: Stage;
  readonly challenge?: Stage;
  readonly admission?: Stage;
}

export function stageOrder(late: LateStages = {}): readonly Stage[] {
  const list: Stage[] = [identityStage, accessStage, banStage, ratelimitStage];
  if (late.score) list.push(late.score);
  if (late.detect) list.push(late.detect);
  if (late.challenge) list.push(late.challenge);
  if (late.admission) list.push(late.admission);
  return Object.freeze(list);
}

/** The core stages alone (tests, or a gateway without detection/challenge/admission). */
export const CORE_ORDER: readonly Stage[] = stageOrder();
