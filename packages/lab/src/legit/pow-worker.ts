import { parentPort } from 'node:worker_threads';
import { type ScryptParams, solveProof } from '../../../rempart/client/solve.ts';

// Solves proofs of work off the lab's event loop: a person's device solves on its own CPU, so one user's
// solve must not stall every other simulated user and the attack generator sharing this process.

// A scrypt solve awaits node:crypto's pool; messages are taken one at a time, so a thread is still one device.

interface Job {
  id: number;
  challenge: string;
  difficulty: number;
  maxTries: number;
  scrypt?: ScryptParams;
}

let queue = Promise.resolve();
parentPort?.on('message', (m: Job) => {
  queue = queue.then(async () => {
    const t0 = performance.now();
    let counter: string | undefined;
    try {
      const algorithm = m.scrypt === undefined ? 'sha256' : 'scrypt';
      counter = await solveProof({ ...m, algorithm, verify: '' }, m.maxTries);
    } catch {
      counter = undefined; // gave up, as a weak phone would
    }
    parentPort?.postMessage({ id: m.id, counter, ms: Math.max(1, Math.round(performance.now() - t0)) });
  });
});
