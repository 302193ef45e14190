import { parentPort } from 'node:worker_threads';
import { solvePow } from '../../../rempart/client/solve.ts';

// Solves proofs of work off the lab's event loop: a person's device solves on its own CPU, so one user's
// solve must not stall every other simulated user and the attack generator sharing this process.

parentPort?.on('message', (m: { id: number; challenge: string; difficulty: number; maxTries: number }) => {
  const t0 = performance.now();
  let counter: string | undefined;
  try {
    counter = solvePow(m.challenge, m.difficulty, m.maxTries);
  } catch {
    counter = undefined; // gave up, as a weak phone would
  }
  parentPort?.postMessage({ id: m.id, counter, ms: Math.max(1, Math.round(performance.now() - t0)) });
});
