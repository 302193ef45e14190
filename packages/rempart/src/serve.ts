import { loadConfigFile } from './config/load.ts';
import { watchConfig } from './config/reload.ts';
import { startServer } from './workers/start-server.ts';

// `rempart serve --config FILE`: start, print one JSON "ready" line (scripts and the lab read it), reload on
// SIGHUP/file change, drain on SIGTERM/SIGINT.

const DRAIN_MS = 10_000;

export async function runServe(file: string): Promise<void> {
  const config = loadConfigFile(file);
  const gw = await startServer(config);
  process.stdout.write(
    `${JSON.stringify({ event: 'ready', pid: process.pid, listeners: gw.listeners, admin: gw.admin })}\n`,
  );
  const stopWatching = watchConfig(file, (c) => gw.reload(c), {
    applied: () => gw.log.info({ event: 'config-reloaded', file }, 'configuration reloaded'),
    refused: (problems) =>
      gw.log.error({ event: 'config-refused', file, problems }, 'configuration refused; the running one is kept'),
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    stopWatching();
    gw.log.info({ event: 'draining', signal }, 'draining connections');
    // Whatever the drain meets (a wedged socket, a log destination that stopped reading), the process ends.
    setTimeout(() => process.exit(0), DRAIN_MS + 5_000).unref();
    await gw.close(DRAIN_MS);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
