import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.ts';
import { startWorkerGateway, type WorkerGateway } from '../server.ts';
import type { FromWorker, ToWorker } from './messages.ts';
import { openSharedState, type SharedStateHandle, sharedStateRefuses } from './shared-state.ts';

// A worker thread: one more gateway on the main thread's ports (SO_REUSEPORT), with the process's shared state.
// It has no admin listener and no signal handlers; the main thread reaches it through this port.

export interface WorkerInit {
  readonly index: number;
  readonly count: number;
  readonly config: Config;
  readonly shared: SharedStateHandle;
}

const port = parentPort;
const post = (m: FromWorker) => port?.postMessage(m);

async function run(init: WorkerInit): Promise<void> {
  const shared = openSharedState(init.shared);
  let gw: WorkerGateway;
  try {
    gw = await startWorkerGateway({
      config: init.config,
      store: shared.store,
      worker: {
        index: init.index,
        count: init.count,
        secret: init.shared.secret,
        ledgers: shared.ledgers,
        refuses: (next) => sharedStateRefuses(init.shared, next),
      },
    });
  } catch (e) {
    post({ t: 'failed', message: (e as Error).message });
    process.exit(1);
  }
  port?.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'reload':
        try {
          gw.reload(m.config);
          post({ t: 'reloaded', id: m.id });
        } catch (e) {
          post({ t: 'reloaded', id: m.id, error: (e as Error).message });
        }
        return;
      case 'pin':
        gw.pin(m.mode);
        return;
      case 'metrics':
        void gw.metrics.registry.getMetricsAsJSON().then((metrics) => post({ t: 'metrics', id: m.id, metrics }));
        return;
      case 'decision':
        post({ t: 'decision', id: m.id, record: gw.findDecision(m.decision) ?? null });
        return;
      case 'close':
        void gw.close(m.graceMs).then(() => {
          post({ t: 'closed' });
          process.exit(0);
        });
        return;
    }
  });
  post({ t: 'ready' });
}

if (port !== null) void run(workerData as WorkerInit);
