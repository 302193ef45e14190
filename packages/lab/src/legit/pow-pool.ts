import { Worker } from 'node:worker_threads';
import type { ScryptParams } from '../../../rempart/client/solve.ts';

// A small pool of solver threads shared by the simulated users (one per core at most). Bounded: at most
// `maxQueued` solves wait; beyond, a user gives up (counted as challenged), like a person who leaves.

export interface Solved {
  readonly counter: string | undefined;
  /** The solve itself, on the thread (what a device would spend). */
  readonly ms: number;
  /** Time the job waited for a free lab thread first: an artifact of sharing threads, no device waits so. */
  readonly queuedMs: number;
}

interface Job {
  readonly id: number;
  readonly posted: number;
  readonly resolve: (s: Solved) => void;
}

export interface PowPool {
  /** With scrypt parameters, the memory-hard proof; else SHA-256. */
  solve(challenge: string, difficulty: number, maxTries: number, scrypt?: ScryptParams): Promise<Solved>;
  close(): Promise<void>;
}

export function createPowPool(threads: number, maxQueued = 1_000): PowPool {
  const workers: Worker[] = [];
  const pending = new Map<number, Job>();
  let next = 0;
  let rr = 0;
  for (let i = 0; i < Math.max(1, threads); i++) {
    const w = new Worker(new URL('./pow-worker.ts', import.meta.url));
    w.on('message', (m: { id: number; counter: string | undefined; ms: number }) => {
      const job = pending.get(m.id);
      if (job === undefined) return;
      pending.delete(m.id);
      if (pending.size === 0) for (const x of workers) x.unref();
      const total = performance.now() - job.posted;
      job.resolve({ counter: m.counter, ms: m.ms, queuedMs: Math.max(0, Math.round(total - m.ms)) });
    });
    // After the listener (attaching one refs the worker again): an idle pool never keeps the process alive.
    w.unref();
    workers.push(w);
  }
  return {
    solve(challenge, difficulty, maxTries, scrypt) {
      if (pending.size >= maxQueued) return Promise.resolve({ counter: undefined, ms: 0, queuedMs: 0 });
      const id = next++;
      // Busy: the pool holds the process open until the answer comes; idle, it never does.
      if (pending.size === 0) for (const x of workers) x.ref();
      return new Promise<Solved>((resolve) => {
        pending.set(id, { id, posted: performance.now(), resolve });
        workers[rr++ % workers.length].postMessage({ id, challenge, difficulty, maxTries, scrypt });
      });
    },
    async close() {
      for (const j of pending.values()) j.resolve({ counter: undefined, ms: 0, queuedMs: 0 });
      pending.clear();
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
