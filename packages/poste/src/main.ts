// CLI: poste serve | seed | verify. `serve` prints one JSON "ready" line on stdout so the lab and the demo
// can spawn it and read its URLs.
import { parseArgs } from 'node:util';
import { parseCosts } from './costs.ts';
import { startPoste } from './server.ts';
import { openDb } from './store/open-db.ts';
import { seed } from './store/seed.ts';
import { verifyLedger } from './store/verify-ledger.ts';

const USAGE = `usage:
  poste serve  [--port N] [--atm-port N] [--host H] [--db sqlite:PATH|postgres://...] [--seed N] [--costs k=v,...]
               [--push-timeout-ms N] [--no-demo-endpoints]
  poste seed   [--db ...] [--seed N] [--costs k=v,...]
  poste verify [--db ...]
costs: searchCpuMs, trackingCpuMs, scryptN, maxHeavyInFlight, catalogueSize`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      port: { type: 'string', default: '8080' },
      'atm-port': { type: 'string', default: '8081' },
      host: { type: 'string', default: '127.0.0.1' },
      db: { type: 'string' },
      seed: { type: 'string', default: '1000000' },
      costs: { type: 'string' },
      'push-timeout-ms': { type: 'string' },
      'no-demo-endpoints': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const parcels = Number(values.seed);
  // The seeded file is cached per size: a demo restart skips seeding entirely.
  const db = values.db ?? `sqlite:.poste/poste-${parcels}.sqlite`;
  const costs = parseCosts(values.costs);
  switch (command) {
    case 'serve': {
      const p = await startPoste({
        port: Number(values.port),
        atmPort: Number(values['atm-port']),
        host: values.host,
        db,
        seedParcels: parcels,
        costs,
        approvals: values['push-timeout-ms'] ? { pushTimeoutMs: Number(values['push-timeout-ms']) } : undefined,
        demoEndpoints: !values['no-demo-endpoints'],
      });
      process.stdout.write(
        `${JSON.stringify({ ready: true, url: p.url, atmUrl: p.atmUrl, db: p.db.kind, seeded: p.seeded, pid: process.pid })}\n`,
      );
      const stop = () => void p.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return -1;
    }
    case 'seed': {
      const d = await openDb(db);
      const r = await seed(d, { parcels, products: costs.catalogueSize, scryptN: costs.scryptN });
      await d.close();
      process.stdout.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    case 'verify': {
      const d = await openDb(db);
      const r = await verifyLedger(d);
      await d.close();
      process.stdout.write(`${JSON.stringify(r)}\n`);
      return r.ok ? 0 : 1;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`poste: ${(err as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
