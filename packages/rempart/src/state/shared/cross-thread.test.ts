import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { type CrossThreadJob, DISTINCT_LIMIT, HOT_RATE, SPEND_BUDGET } from './cross-thread.job.ts';
import { newSharedStoreHandle } from './handle.ts';
import { newSharedLedgerHandle } from './shared-ledger.ts';

// Real worker threads on one shared store and ledger, started together on a shared word: every answer that
// must be exact across threads (rate budget, distinct limit, event count, single use, clearance budget, bans)
// is checked against what one thread alone would give.

const WORKER = new URL('./cross-thread.worker.ts', import.meta.url);

async function runWorkers(tasks: readonly CrossThreadJob['task'][], n: number): Promise<unknown[]> {
  const store = newSharedStoreHandle({ maxEntries: 1_000 });
  const ledger = newSharedLedgerHandle(100_000);
  const sync = new SharedArrayBuffer(32);
  const workers = tasks.map(
    (task, index) =>
      new Worker(WORKER, {
        workerData: { task, index, workers: tasks.length, n, store, ledger, sync } satisfies CrossThreadJob,
      }),
  );
  const results = workers.map(
    (w) =>
      new Promise<unknown>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`worker exited with ${code} before answering`)));
      }),
  );
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('online', resolve))));
  const go = new Int32Array(sync);
  Atomics.store(go, 0, 1);
  Atomics.notify(go, 0);
  try {
    return await Promise.all(results);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

const four = <T extends CrossThreadJob['task']>(task: T) => [task, task, task, task];

describe('shared store across worker threads', () => {
  it('4 × 20,000 consumeRate on one key at one instant allow exactly burst + 1', async () => {
    const allowed = (await runWorkers(four('rate'), 20_000)) as number[];
    assert.equal(
      allowed.reduce((a, b) => a + b, 0),
      HOT_RATE.burst + 1,
    );
    // No thread can take more than its 20,000 calls: the budget was shared out.
    assert.ok(allowed.filter((a) => a > 0).length >= 3, `${allowed}`);
  });

  it('distinct adds from 4 threads never exceed the limit', async () => {
    const r = (await runWorkers(four('distinct'), 500)) as { added: number; maxCount: number }[];
    assert.equal(
      r.reduce((a, b) => a + b.added, 0),
      DISTINCT_LIMIT,
    );
    for (const x of r) assert.equal(x.maxCount, DISTINCT_LIMIT + 1);
  });

  it('event counts from 4 threads: every call sees a different count, 1 to the total', async () => {
    const n = 5_000;
    const seen = (await runWorkers(four('events'), n)) as Float64Array[];
    const all = new Uint8Array(4 * n + 1);
    for (const s of seen) for (const v of s) all[v]++;
    assert.equal(all[0], 0);
    for (let v = 1; v <= 4 * n; v++) assert.equal(all[v], 1, `count ${v} seen ${all[v]} times`);
  });

  it('a ban written in one thread is seen by the others at once, and so is its removal', async () => {
    const failures = (await runWorkers(four('bans'), 0)) as string[][];
    assert.deepEqual(failures.flat(), []);
  });

  it('a ban rewritten over and over is never read half old, half new', async () => {
    const [, ...readers] = (await runWorkers(['flip-writer', 'flip-reader', 'flip-reader'], 50_000)) as {
      reads: number;
      torn: number;
    }[];
    for (const r of readers) assert.equal(r.torn, 0);
    assert.ok(readers[0].reads + readers[1].reads > 0, 'the readers read while the writer wrote');
  });
});

describe('shared ledger across worker threads', () => {
  it('each challenge id is used once in all threads together', async () => {
    const n = 5_000;
    const won = (await runWorkers(four('once'), n)) as Uint8Array[];
    for (let i = 0; i < n; i++) assert.equal(won[0][i] + won[1][i] + won[2][i] + won[3][i], 1, `nonce${i}`);
  });

  it("a clearance's budget is counted once across threads", async () => {
    const ok = (await runWorkers(four('spend'), 5_000)) as number[];
    assert.equal(
      ok.reduce((a, b) => a + b, 0),
      SPEND_BUDGET,
    );
  });
});
