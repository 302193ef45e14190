import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from './config/load.ts';
import { RempartError } from './core/errors.ts';
import { startGateway } from './server.ts';

// `npm start`: poste (SQLite in a temporary directory, its own process) behind the gateway configured by
// deploy/demo.yaml. Prints the URLs and the admin token; Ctrl-C stops both and removes the temporary data.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const POSTE_BIN = join(ROOT, 'packages/poste/bin/poste.js');
const CONFIG = join(ROOT, 'deploy/demo.yaml');

interface PosteReady {
  url: string;
  atmUrl: string;
  seeded: { parcelsAdded: number; ms: number };
}

function startPoste(dir: string): Promise<{ child: ChildProcess; ready: PosteReady }> {
  const child = spawn(
    process.execPath,
    [POSTE_BIN, 'serve', '--port', '0', '--atm-port', '0', '--db', `sqlite:${join(dir, 'poste.sqlite')}`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const onExit = (code: number | null) => reject(new Error(`poste exited (code ${code}) before it was ready`));
    child.once('exit', onExit);
    lines.on('line', (line) => {
      let j: unknown;
      try {
        j = JSON.parse(line);
      } catch {
        return;
      }
      if ((j as { ready?: boolean }).ready === true) {
        child.off('exit', onExit);
        lines.close();
        child.stdout?.resume();
        resolve({ child, ready: j as PosteReady });
      }
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rempart-demo-'));
  const token = randomBytes(16).toString('hex');
  process.stdout.write('Starting poste (seeding 1,000,000 parcels into a temporary SQLite database)…\n');
  const poste = await startPoste(dir);
  let stopping = false;
  const cleanup = () => {
    poste.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  poste.child.once('exit', () => {
    if (stopping) return;
    process.stderr.write('poste stopped unexpectedly; stopping the demo\n');
    rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  });
  try {
    const config = loadConfigFile(CONFIG, {
      ...process.env,
      REMPART_DEMO_ORIGIN: poste.ready.url,
      REMPART_ADMIN_TOKEN: token,
    });
    const gw = await startGateway({ config: { ...config, logging: { ...config.logging, level: 'warn' } } });
    const pub = gw.listeners[0].url;
    process.stdout.write(
      [
        '',
        `Rempart is protecting poste (${poste.ready.seeded.parcelsAdded || 'cached'} parcels seeded).`,
        `  public:       ${pub}/status   (tracking: ${pub}/suivi/<number>, search: ${pub}/boutique/recherche?q=timbre)`,
        `  admin API:    ${gw.admin.url}/api/state   (Authorization: Bearer ${token})`,
        `  metrics:      ${gw.admin.url}/metrics`,
        `  admin token:  ${token}`,
        `  poste direct: ${poste.ready.url} (origin), shop/ATM listener ${poste.ready.atmUrl} (never behind the gateway)`,
        '',
        'Try:',
        `  curl -i ${pub}/status.json`,
        `  curl -s -H 'Authorization: Bearer ${token}' -X PUT -H 'content-type: application/json' \\`,
        `       -d '{"mode":"under-attack"}' ${gw.admin.url}/api/mode    # then open ${pub}/status in a browser`,
        'Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await gw.close(5_000);
      cleanup();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop());
    process.on('SIGTERM', () => void stop());
  } catch (e) {
    stopping = true;
    cleanup();
    throw e;
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`demo: ${e instanceof RempartError ? e.message : (e as Error).stack}\n`);
  process.exit(1);
});
