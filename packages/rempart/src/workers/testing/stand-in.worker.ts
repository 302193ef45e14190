import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerMetrics } from '../messages.ts';
import type { WorkerInit } from '../worker-thread.ts';

// A stand-in worker thread for worker-set.test.ts: speaks the protocol without a gateway. Its "metrics" name the
// thread, a decision id "exit:N" makes it exit with code N (a crash), `failAtStart` refuses to start, and a reload
// to logging.level "error" is refused.

const init = workerData as WorkerInit & { readonly failAtStart?: boolean };
const post = (m: FromWorker) => parentPort?.postMessage(m);

if (init.failAtStart === true) {
  post({ t: 'failed', message: 'refused to start' });
  process.exit(1);
}
parentPort?.on('message', (m: ToWorker) => {
  if (m.t === 'metrics')
    post({
      t: 'metrics',
      id: m.id,
      metrics: [
        {
          name: 'stand_in_thread',
          help: 'thread id',
          type: 'gauge',
          aggregator: 'sum',
          values: [{ value: threadId, labels: { index: String(init.index) } }],
        } as unknown as WorkerMetrics[number],
      ],
    });
  else if (m.t === 'decision' && m.decision.startsWith('exit:')) process.exit(Number(m.decision.slice(5)));
  else if (m.t === 'decision') post({ t: 'decision', id: m.id, record: null });
  else if (m.t === 'reload')
    post({
      t: 'reloaded',
      id: m.id,
      error: m.config.logging.level === 'error' ? 'refused by the stand-in' : undefined,
    });
  else if (m.t === 'close') process.exit(0);
});
post({ t: 'ready' });
