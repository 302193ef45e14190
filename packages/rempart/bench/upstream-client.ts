import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { type Dispatcher, Pool } from 'undici';
import { H1Pool } from '../src/upstream/h1-pool.ts';
import { opt } from './args.ts';
import { startProc } from './procs.ts';

// `node packages/rempart/bench/upstream-client.ts [--requests N] [--concurrency N] [--rate N] [--rounds N] [--json]`
// CPU of the client process per request, undici's Pool.dispatch against Rempart's H1Pool, both sending GETs with
// the gateway's header list to the bench origin (a separate process, so its CPU is not counted). Each keeps
// `concurrency` requests in flight on as many keep-alive sockets (closed loop: the origin is saturated), or with
// --rate sends that many requests per second (open loop: both clients face the same origin load, which matters
// because a loopback write costs more when it must wake an idle origin). The two alternate for several rounds
// and each figure is the median of its rounds. Not part of `npm test`.

const requests = opt('--requests', 100_000);
const concurrency = opt('--concurrency', 64);
const rounds = opt('--rounds', 3);
const rate = opt('--rate', 0);
const json = process.argv.includes('--json');

/** What buildRequestHeaders sends for a plain browser GET. */
const headers = [
  'user-agent',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'accept',
  'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language',
  'fr-FR,fr;q=0.9,en;q=0.8',
  'accept-encoding',
  'gzip, deflate, br',
  'host',
  'bench.example',
  'x-forwarded-for',
  '203.0.113.7',
  'x-forwarded-proto',
  'http',
  'forwarded',
  'for=203.0.113.7;proto=http;host="bench.example"',
  'x-request-id',
  '6f1c2d3e4a5b6c7d',
  'via',
  '1.1 rempart',
];
const opts: Dispatcher.DispatchOptions = { path: '/track/123', method: 'GET', headers, body: null };

/** A closed loop: each finished request dispatches the next until `total` are done. */
class Loop implements Dispatcher.DispatchHandler {
  readonly pool: Pick<Dispatcher, 'dispatch'>;
  readonly total: number;
  started = 0;
  done = 0;
  errors = 0;
  bytes = 0;
  finished: () => void = () => {};

  constructor(pool: Pick<Dispatcher, 'dispatch'>, total: number) {
    this.pool = pool;
    this.total = total;
  }

  run(inFlight: number, perSecond: number): Promise<void> {
    const p = new Promise<void>((resolve) => {
      this.finished = resolve;
    });
    if (perSecond <= 0) {
      for (let i = 0; i < inFlight; i++) this.next();
      return p;
    }
    // Open loop: every millisecond, send what the rate allows so far (within `inFlight`).
    const t0 = performance.now();
    const tick = setInterval(() => {
      const due = Math.min(this.total, Math.floor(((performance.now() - t0) * perSecond) / 1000));
      while (this.started < due && this.started - this.done < inFlight) this.next();
      if (this.started >= this.total) clearInterval(tick);
    }, 1);
    return p;
  }

  next(): void {
    if (this.started >= this.total) return;
    this.started++;
    this.pool.dispatch(opts, this);
  }

  onRequestStart(): void {}
  onResponseStart(_c: Dispatcher.DispatchController, _s: number, _h: IncomingHttpHeaders): void {}
  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bytes += chunk.length;
  }
  onResponseEnd(): void {
    this.settle();
  }
  onResponseError(): void {
    this.errors++;
    this.settle();
  }

  private settle(): void {
    if (++this.done === this.total) this.finished();
    else if (rate <= 0) this.next();
  }
}

interface Figure {
  usPerReq: number;
  rps: number;
  errors: number;
}

async function measure(pool: Pick<Dispatcher, 'dispatch'>, n: number): Promise<Figure> {
  const loop = new Loop(pool, n);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await loop.run(concurrency, rate);
  const c = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  return { usPerReq: (c.user + c.system) / n, rps: (n * 1000) / ms, errors: loop.errors };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const origin = await startProc(process.execPath, [join(import.meta.dirname, 'origin.ts')]);
const url = `http://127.0.0.1:${origin.ready.port}`;
const undici = new Pool(url, { connections: concurrency, pipelining: 1 });
const ours = new H1Pool(url, { connections: concurrency });
const clients = [
  { name: 'undici Pool.dispatch', pool: undici as Pick<Dispatcher, 'dispatch'>, runs: [] as Figure[] },
  { name: 'rempart H1Pool.dispatch', pool: ours as Pick<Dispatcher, 'dispatch'>, runs: [] as Figure[] },
];
try {
  // Warm-up: sockets open, code optimised.
  for (const c of clients) await measure(c.pool, Math.min(20_000, requests));
  for (let r = 0; r < rounds; r++) {
    for (const c of clients) {
      const f = await measure(c.pool, requests);
      c.runs.push(f);
      if (!json)
        process.stderr.write(
          `round ${r + 1}  ${c.name.padEnd(24)} ${f.usPerReq.toFixed(2).padStart(6)} µs/req  ${Math.round(f.rps)} req/s  errors ${f.errors}\n`,
        );
    }
  }
} finally {
  await undici.destroy();
  await ours.destroy();
  await origin.stop();
}
const out = clients.map((c) => ({
  client: c.name,
  cpu_us_per_req: Number(median(c.runs.map((f) => f.usPerReq)).toFixed(2)),
  rps: Math.round(median(c.runs.map((f) => f.rps))),
  errors: c.runs.reduce((a, f) => a + f.errors, 0),
}));
if (json) process.stdout.write(`${JSON.stringify({ requests, concurrency, rate, rounds, results: out })}\n`);
else {
  const load = rate > 0 ? `${rate} req/s offered, at most ${concurrency} in flight` : `${concurrency} in flight`;
  process.stdout.write(`\nmedians of ${rounds} rounds, ${requests} GETs, ${load}\n`);
  for (const o of out)
    process.stdout.write(`${o.client.padEnd(24)} ${String(o.cpu_us_per_req).padStart(6)} µs/req  ${o.rps} req/s\n`);
  process.stdout.write(
    `ratio (H1Pool / undici CPU per request): ${(out[1].cpu_us_per_req / out[0].cpu_us_per_req).toFixed(2)}\n`,
  );
}
