import type { Stage } from '../types.ts';
import { decideAccess } from './decide.ts';

export const accessStage: Stage = {
  name: 'access',
  run(ctx, deps) {
    const d = decideAccess(ctx.client?.ip ?? ctx.peerIp, deps.policy.access);
    if (d.allowListed) ctx.allowListed = true;
    return d.verdict;
  },
};
