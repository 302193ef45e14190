import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Proc, startProc } from './procs.ts';

// The gateway as the benchmarks run it: one configuration file per gateway (each watches its own for hot
// reload), a listener and an admin port chosen by the system, one upstream, detection pinned to normal.

let configs = 0;

/** Writes a bench gateway's configuration into `dir` and returns the file. */
export function rempartConfig(dir: string, originPort: number, extra: string, workers: 'auto' | 1 = 'auto'): string {
  // One file per gateway: each watches its own for hot reload.
  const file = join(dir, `rempart-${++configs}.yaml`);
  writeFileSync(
    file,
    `listeners:
  - name: public
    port: 0
admin:
  port: 0
  token: bench-token-0123456789abcdef
trusted_proxies: [127.0.0.1]
limits:
  max_connections_per_ip: 100000
  max_requests_per_socket: 0
upstreams:
  - name: origin
    url: http://127.0.0.1:${originPort}
    max_connections: 128
    concurrency: { initial: 128, min: 16, max: 1024 }
logging:
  level: warn
workers: ${workers}
# One client at full speed against a saturated origin looks like a flood to detection; pinned so the figures
# measure the pass-through path (observe() still runs on every request).
detect:
  pin: normal
${extra}`,
  );
  return file;
}

/** Starts `rempart serve` on a configuration file; resolves once it printed its ready line. */
export async function startRempart(file: string): Promise<{ proc: Proc; port: number; admin: string }> {
  const proc = await startProc(process.execPath, [
    join(import.meta.dirname, '../bin/rempart.js'),
    'serve',
    '--config',
    file,
  ]);
  const listeners = proc.ready.listeners as { port: number }[];
  return { proc, port: listeners[0].port, admin: (proc.ready.admin as { url: string }).url };
}
