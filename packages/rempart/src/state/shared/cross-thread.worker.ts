import { parentPort, workerData } from 'node:worker_threads';
import { type CrossThreadJob, DISTINCT_LIMIT, FLIP, HOT_RATE, SPEND_BUDGET, T0 } from './cross-thread.job.ts';
import { openSharedLedger } from './shared-ledger.ts';
import { createSharedStore } from './shared-store.ts';

// Body of the worker threads started by cross-thread.test.ts: opens the shared store and ledger from the handles
// it was given, waits on the start word so that every thread begins at once, runs one task, posts the result.

const job = workerData as CrossThreadJob;
const store = createSharedStore(job.store);
const ledger = openSharedLedger(job.ledger);
const sync = new Int32Array(job.sync);
const WAIT_MS = 10_000;

function waitFor(word: number, atLeast: number): void {
  for (let v = Atomics.load(sync, word); v < atLeast; v = Atomics.load(sync, word)) {
    if (Atomics.wait(sync, word, v, WAIT_MS) === 'timed-out') throw new Error(`waited for word ${word}`);
  }
}

function signal(word: number): void {
  Atomics.add(sync, word, 1);
  Atomics.notify(sync, word);
}

function run(): unknown {
  const { n, index } = job;
  switch (job.task) {
    case 'rate': {
      let allowed = 0;
      for (let i = 0; i < n; i++) if (store.consumeRate('hot', T0, 1, HOT_RATE).allowed) allowed++;
      return allowed;
    }
    case 'distinct': {
      let added = 0;
      let maxCount = 0;
      for (let i = 0; i < n; i++) {
        const r = store.addDistinct('users', `w${index}-u${i}`, T0, 60_000, DISTINCT_LIMIT);
        if (!r.exceeded) added++;
        else if (r.count > maxCount) maxCount = r.count;
      }
      return { added, maxCount };
    }
    case 'events': {
      const seen = new Float64Array(n);
      for (let i = 0; i < n; i++) seen[i] = store.countEvent('refusals', T0, 60_000);
      return seen;
    }
    case 'once': {
      const won = new Uint8Array(n);
      const exp = Math.floor(T0 / 1000) + 60;
      for (let i = 0; i < n; i++) won[i] = ledger.useOnce({ id: `nonce${i}`, exp }, exp - 60) ? 1 : 0;
      return won;
    }
    case 'spend': {
      let ok = 0;
      const t = { id: 'clearance', exp: Math.floor(T0 / 1000) + 60 };
      for (let i = 0; i < n; i++) if (ledger.spend(t, SPEND_BUDGET, t.exp - 60)) ok++;
      return ok;
    }
    case 'bans': {
      // Round r: worker r bans its address, the others look it up as soon as the step says it is written.
      const failures: string[] = [];
      for (let r = 0; r < job.workers; r++) {
        const target = `192.0.2.${r}`;
        if (r === index) {
          store.ban({ target, reason: `by ${r}`, rule: 'test/cross', createdAt: T0, expiresAt: T0 + 60_000 });
          signal(1);
        } else {
          waitFor(1, r + 1);
          if (store.banned(target, T0 + 1)?.reason !== `by ${r}`) failures.push(`worker ${index} missed ${target}`);
        }
      }
      // Once all have looked, every worker lifts the ban of the next one's address; then all must be gone.
      signal(3);
      waitFor(3, job.workers);
      store.unban(`192.0.2.${(index + 1) % job.workers}`);
      signal(4);
      waitFor(4, job.workers);
      for (let r = 0; r < job.workers; r++) {
        if (store.banned(`192.0.2.${r}`, T0 + 1) !== undefined)
          failures.push(`worker ${index} still sees 192.0.2.${r}`);
      }
      return failures;
    }
    case 'flip-writer': {
      waitFor(5, job.workers - 1);
      for (let i = 0; i < n; i++) store.ban(FLIP[i & 1]);
      Atomics.store(sync, 2, 1);
      return n;
    }
    case 'flip-reader': {
      // Every read must be one of the two entries whole, never a mix of both (seqlock).
      let reads = 0;
      let torn = 0;
      signal(5);
      for (let i = 0; i < 100 * n && Atomics.load(sync, 2) === 0; i++) {
        const e = store.banned(FLIP[0].target, T0 + 1);
        if (e === undefined) continue;
        reads++;
        const want = e.rule === FLIP[0].rule ? FLIP[0] : FLIP[1];
        if (e.reason !== want.reason || e.expiresAt !== want.expiresAt || e.createdAt !== want.createdAt) torn++;
      }
      return { reads, torn };
    }
  }
}

waitFor(0, 1);
parentPort?.postMessage(run());
