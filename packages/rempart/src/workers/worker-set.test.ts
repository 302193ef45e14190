import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { baseYaml, configFrom } from '../testing/gateway-kit.ts';
import type { SharedStateHandle } from './shared-state.ts';
import { startWorkerSet, type WorkerSetOptions } from './worker-set.ts';

// The main thread's supervision of its workers, with stand-in threads (testing/stand-in.worker.ts): answers come
// back from every worker, a worker that dies is started again, a worker that cannot start fails the start.

const config = configFrom(baseYaml('http://127.0.0.1:9'));
const entry = new URL('./testing/stand-in.worker.ts', import.meta.url);

function options(count: number, errors: object[], extra: object = {}): WorkerSetOptions {
  return {
    count,
    listeners: [],
    init: { count, shared: {} as SharedStateHandle, ...extra },
    log: { error: (obj) => errors.push(obj) },
    entry,
    restartDelayMs: 50,
  };
}

/** index → thread id, as the stand-ins report them through metrics. */
async function threads(peers: Awaited<ReturnType<typeof startWorkerSet>>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of await peers.metrics()) for (const v of m[0].values) out.set(String(v.labels.index), v.value);
  return out;
}

describe('worker set', () => {
  it('starts count - 1 threads and hears from each', async () => {
    const peers = await startWorkerSet(config, options(3, []));
    try {
      assert.deepEqual([...(await threads(peers)).keys()].sort(), ['1', '2']);
      assert.equal(await peers.decision('abcdef01000001'), undefined);
    } finally {
      await peers.close(100);
    }
  });

  it('starts a worker again when it dies', async () => {
    const errors: object[] = [];
    const peers = await startWorkerSet(config, options(3, errors));
    try {
      const before = await threads(peers);
      assert.equal(await peers.decision('exit:3'), undefined, 'a dead worker answers nothing, nobody waits');
      let after = await threads(peers);
      for (let i = 0; i < 100 && !(after.size === 2 && after.get('1') !== before.get('1')); i++) {
        await sleep(20);
        after = await threads(peers);
      }
      assert.equal(after.size, 2, 'both workers answer again');
      assert.ok(
        after.get('1') !== before.get('1') || after.get('2') !== before.get('2'),
        'the dead one is a new thread',
      );
      assert.ok(errors.some((e) => (e as { event?: string }).event === 'worker-exit'));
    } finally {
      await peers.close(100);
    }
  });

  it('a reload refused by a worker is reported', async () => {
    const peers = await startWorkerSet(config, options(2, []));
    try {
      await peers.reload(config);
      await assert.rejects(
        peers.reload({ ...config, logging: { ...config.logging, level: 'error' } }),
        /refused by the stand-in/,
      );
    } finally {
      await peers.close(100);
    }
  });

  it('a worker that cannot start fails the start', async () => {
    await assert.rejects(startWorkerSet(config, options(3, [], { failAtStart: true })), /refused to start/);
  });
});
