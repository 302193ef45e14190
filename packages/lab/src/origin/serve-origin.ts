import { startLabOrigin } from './lab-origin.ts';

// Child-process entry for the lab origin, so its CPU is its own and the generator's event loop stays free.
// Usage: node serve-origin.ts [cpuMs] [searchFactor] [upstreamPort]; prints {"event":"ready","port":N}.
// With an upstream port it is a counting tap in front of poste.

const [cpuMs = '1', searchFactor = '8', upstreamPort] = process.argv.slice(2);
const origin = await startLabOrigin({
  cpuMs: Number(cpuMs),
  searchFactor: Number(searchFactor),
  upstream: upstreamPort ? { host: '127.0.0.1', port: Number(upstreamPort) } : undefined,
});
process.stdout.write(`${JSON.stringify({ event: 'ready', pid: process.pid, port: origin.port })}\n`);
const stop = () => {
  origin.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
