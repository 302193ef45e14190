import { availableParallelism } from 'node:os';
import { CLEARANCE_HEADER, PROOF_HEADER, parseChallenge } from '../../../rempart/client/solve.ts';
import { exchange } from '../load/http-send.ts';
import type { ChallengeSolver } from './challenge.ts';
import { createPowPool, type PowPool } from './pow-pool.ts';

// Legit users answer Rempart's API challenge through the protocol, with the gateway's own client code:
// solve the proof of work, trade it at the verify endpoint for a clearance, retry with the clearance header.
// Same source address and User-Agent as the user's requests (the clearance is bound to both). The proof is
// solved on a worker thread, as a person's device solves on its own CPU, not on the generator's event loop.

let pool: PowPool | undefined;
const solver = () => {
  pool ??= createPowPool(Math.max(1, Math.min(2, availableParallelism() - 1)));
  return pool;
};

export const rempartSolver: ChallengeSolver = {
  async solve(reply, c) {
    const auth = reply.headers['www-authenticate'];
    const challenge = parseChallenge(Array.isArray(auth) ? auth[0] : auth);
    if (!challenge) return undefined;
    // 2^20 tries (~1 s of CPU) at most: a weak phone gives up too.
    const { counter: n, ms } = await solver().solve(challenge.challenge, challenge.difficulty, 2 ** 20);
    if (n === undefined) return undefined;
    const r = await exchange({
      host: c.host,
      port: c.port,
      method: 'POST',
      path: challenge.verify,
      headers: {
        'user-agent': c.userAgent,
        accept: 'application/json',
        [PROOF_HEADER]: `${challenge.challenge}:${n}:${ms}`,
      },
      localAddress: c.localAddress,
      agent: c.agent,
      timeoutMs: 10_000,
    });
    const token = r.headers[CLEARANCE_HEADER];
    if (r.status !== 200 || typeof token !== 'string') return undefined;
    return { [CLEARANCE_HEADER]: token };
  },
};
