import { availableParallelism } from 'node:os';
import type { Config } from '../config/schema.ts';
import { type Gateway, startGateway } from '../server.ts';
import { newSharedState, openSharedState, sharedStateRefuses } from './shared-state.ts';
import { startWorkerSet } from './worker-set.ts';

// `rempart serve` with `workers`: one gateway per thread on the same ports. The main thread's gateway binds the
// listeners first (so port 0 becomes one port for all), runs the admin API and drives the others.

export function workerCount(w: Config['workers']): number {
  return w === 'auto' ? Math.max(1, availableParallelism()) : w;
}

export async function startServer(config: Config): Promise<Gateway> {
  const count = workerCount(config.workers);
  if (count === 1) return startGateway({ config });
  const shared = newSharedState(config);
  const own = openSharedState(shared);
  const main = await startGateway({
    config,
    store: own.store,
    worker: {
      index: 0,
      count,
      secret: shared.secret,
      ledgers: own.ledgers,
      refuses: (next) => sharedStateRefuses(shared, next),
    },
  });
  try {
    const peers = await startWorkerSet(config, {
      count,
      listeners: main.listeners,
      init: { count, shared },
      log: main.log,
    });
    main.attachPeers(peers);
  } catch (e) {
    await main.close(0);
    throw e;
  }
  main.log.info({ event: 'workers', count }, `serving with ${count} worker threads`);
  return main;
}
