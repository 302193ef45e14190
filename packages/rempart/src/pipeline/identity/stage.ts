import { PASS, type Stage } from '../types.ts';
import { decideIdentity } from './decide.ts';

// Writes ctx.client; never refuses. Runs first: every later stage keys on ctx.client.
export const identityStage: Stage = {
  name: 'identity',
  run(ctx, deps) {
    const id = deps.policy.identity;
    ctx.client = decideIdentity({ peerIp: ctx.peerIp, forwarded: ctx.headers[id.header] }, id);
    return PASS;
  },
};
