import { availableParallelism } from 'node:os';
import { CLEARANCE_HEADER, PROOF_HEADER, parseChallenge } from '../../../rempart/client/solve.ts';
import { exchange } from '../load/http-send.ts';
import type { ChallengeSolver, SolverClient } from './challenge.ts';
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
    // 2^20 SHA-256 tries (~1 s of CPU) or 2^10 scrypt guesses (seconds) at most: a weak phone gives up too.
    const tries = challenge.scrypt === undefined ? 2 ** 20 : 2 ** 10;
    const s = await solver().solve(challenge.challenge, challenge.difficulty, tries, challenge.scrypt);
    const { counter: n, ms } = s;
    if (n === undefined) return undefined;
    c.onSolved?.(ms, s.queuedMs);
    // A busy gateway (503: its scrypt checks are at their bound) keeps the challenge unspent: send the proof again.
    let r = await verify(challenge.verify, c, `${challenge.challenge}:${n}:${ms}`);
    for (let i = 0; i < 3 && r.status === 503; i++) {
      await new Promise((done) => setTimeout(done, 1_000));
      r = await verify(challenge.verify, c, `${challenge.challenge}:${n}:${ms}`);
    }
    const token = r.headers[CLEARANCE_HEADER];
    if (r.status !== 200 || typeof token !== 'string') return undefined;
    return { [CLEARANCE_HEADER]: token };
  },
};

function verify(path: string, c: SolverClient, proof: string) {
  return exchange({
    host: c.host,
    port: c.port,
    method: 'POST',
    path,
    headers: { 'user-agent': c.userAgent, accept: 'application/json', [PROOF_HEADER]: proof },
    localAddress: c.localAddress,
    agent: c.agent,
    timeoutMs: 10_000,
  });
}
