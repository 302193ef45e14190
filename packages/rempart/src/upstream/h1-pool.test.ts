import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { H1Pool } from './h1-pool.ts';
import { collect } from './testing/dispatch-collect.ts';
import { type Listening, listen } from './testing/front.ts';
import { startRawOrigin } from './testing/raw-origin.ts';

// The pool over real sockets against node:http origins: framings, keep-alive reuse and its limits, stats,
// close and destroy.

const socketIds = new WeakMap<Socket, number>();
let nextSocketId = 0;
/** Origin socket id of each request, in arrival order. */
const served: number[] = [];

function handler(req: IncomingMessage, res: ServerResponse): void {
  served.push(socketIds.get(req.socket) ?? -1);
  switch ((req.url ?? '').split('?')[0]) {
    case '/hello':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' });
      res.end('hello');
      return;
    case '/chunked':
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write('hello ');
      res.addTrailers({ 'x-checksum': 'abc123' });
      res.end('world');
      return;
    case '/head':
      res.writeHead(200, { 'content-length': '11' });
      res.end(req.method === 'HEAD' ? undefined : 'hello world');
      return;
    case '/no-content':
      res.writeHead(204, { 'x-kind': 'empty' });
      res.end();
      return;
    case '/not-modified':
      res.writeHead(304, { etag: '"v1"' });
      res.end();
      return;
    case '/interim':
      res.writeContinue();
      res.writeEarlyHints({ link: '</a.css>; rel=preload' });
      res.end('final');
      return;
    case '/close':
      res.writeHead(200, { connection: 'close' });
      res.end('bye');
      return;
    case '/bytes': {
      // ?n=SIZE&v=BYTE: SIZE bytes of value BYTE, so each answer is told apart from the ones before it.
      const q = new URLSearchParams((req.url ?? '').split('?')[1]);
      res.writeHead(200, { 'content-length': q.get('n') ?? '0' });
      res.end(Buffer.alloc(Number(q.get('n')), Number(q.get('v'))));
      return;
    }
    case '/slow':
      setTimeout(() => res.end('slow'), 100);
      return;
    default:
      res.statusCode = 404;
      res.end();
  }
}

describe('h1 pool over real sockets', () => {
  let origin: Listening<Server>;
  let pool: H1Pool;

  before(async () => {
    const server = createServer(handler);
    server.keepAliveTimeout = 30_000;
    origin = await listen(server);
    origin.server.on('connection', (s: Socket) => socketIds.set(s, nextSocketId++));
    pool = new H1Pool(`http://127.0.0.1:${origin.port}`, { connections: 4 });
  });

  after(async () => {
    await pool.close();
    await origin.close();
  });

  it('reuses one kept-alive socket for sequential requests and reports it in stats', async () => {
    served.length = 0;
    for (let i = 0; i < 5; i++) {
      const r = await collect(pool, { path: '/hello' });
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'hello');
      assert.equal(r.headers['content-type'], 'text/plain');
      assert.deepEqual(r.late, []);
    }
    assert.equal(new Set(served).size, 1, `one origin socket, saw ${served}`);
    assert.deepEqual(pool.stats, { connected: 1, free: 1, pending: 0, running: 0, size: 0 });
  });

  it('body pieces a handler keeps are never overwritten by the reads that follow', async () => {
    // Reads land in a buffer the connection reuses: small pieces must be copied out, large ones take it along.
    const one = new H1Pool(`http://127.0.0.1:${origin.port}`, { connections: 1 });
    try {
      const sizes = [37, 3_000, 5_000, 70_000, 37, 200_000, 16_384, 1];
      const kept: Buffer[][] = sizes.map(() => []);
      await Promise.all(
        sizes.map(
          (n, i) =>
            new Promise<void>((resolve, reject) => {
              one.dispatch(
                { path: `/bytes?n=${n}&v=${i + 1}`, method: 'GET' },
                {
                  onResponseData: (_c, chunk) => void kept[i].push(chunk),
                  onResponseEnd: () => resolve(),
                  onResponseError: (_c, err) => reject(err),
                },
              );
            }),
        ),
      );
      for (let i = 0; i < sizes.length; i++) {
        const body = Buffer.concat(kept[i]);
        assert.equal(body.length, sizes[i]);
        assert.ok(
          body.every((b) => b === i + 1),
          `answer ${i} intact`,
        );
      }
    } finally {
      await one.close();
    }
  });

  it('reads chunked bodies with trailers', async () => {
    const r = await collect(pool, { path: '/chunked' });
    assert.equal(r.body.toString(), 'hello world');
    assert.equal(r.trailers?.['x-checksum'], 'abc123');
    assert.equal(r.headers['transfer-encoding'], 'chunked');
  });

  it('answers HEAD, 204 and 304 without bodies, then carries the next request on the same socket', async () => {
    served.length = 0;
    const head = await collect(pool, { path: '/head', method: 'HEAD' });
    assert.equal(head.headers['content-length'], '11');
    assert.equal(head.body.length, 0);
    const nc = await collect(pool, { path: '/no-content' });
    assert.equal(nc.status, 204);
    assert.equal(nc.headers['x-kind'], 'empty');
    const nm = await collect(pool, { path: '/not-modified' });
    assert.equal(nm.status, 304);
    assert.equal(nm.body.length, 0);
    const next = await collect(pool, { path: '/hello' });
    assert.equal(next.body.toString(), 'hello');
    assert.equal(new Set(served).size, 1);
  });

  it('passes 100 and 103 interim heads before the final one', async () => {
    const r = await collect(pool, { path: '/interim' });
    assert.deepEqual(r.statuses, [100, 103, 200]);
    assert.equal(r.body.toString(), 'final');
  });

  it('closes the socket when the origin says Connection: close, and opens another for what follows', async () => {
    served.length = 0;
    const a = await collect(pool, { path: '/close' });
    assert.equal(a.body.toString(), 'bye');
    const b = await collect(pool, { path: '/hello' });
    assert.equal(b.status, 200);
    assert.notEqual(served[0], served[1]);
  });

  it('never pipelines: more requests than sockets wait in the pool queue (stats show it)', async () => {
    const one = new H1Pool(`http://127.0.0.1:${origin.port}`, { connections: 1 });
    try {
      const all = Promise.all([0, 1, 2].map(() => collect(one, { path: '/slow' })));
      await sleep(30);
      const s = one.stats;
      assert.equal(s.running, 1);
      assert.equal(s.pending, 2);
      assert.equal(s.size, 3);
      assert.ok(s.connected <= 1);
      for (const r of await all) assert.equal(r.body.toString(), 'slow');
      assert.deepEqual(one.stats, { connected: 1, free: 1, pending: 0, running: 0, size: 0 });
    } finally {
      await one.close();
    }
  });

  it('reads a close-delimited body to EOF and does not reuse that socket', async () => {
    const raw = await startRawOrigin((s) => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'));
    const p = new H1Pool(`http://127.0.0.1:${raw.port}`);
    try {
      const a = await collect(p, {});
      assert.equal(a.body.toString(), 'until the end');
      const b = await collect(p, {});
      assert.equal(b.body.toString(), 'until the end');
      assert.equal(raw.accepted, 2);
    } finally {
      await p.close();
      await raw.close();
    }
  });

  it("drops an idle socket a second before the origin's Keep-Alive timeout", async () => {
    const server = createServer((_req, res) => res.end('ok'));
    server.keepAliveTimeout = 2_000; // node:http then sends "Keep-Alive: timeout=2"
    let closedAt = 0;
    server.on('connection', (s: Socket) => s.on('close', () => (closedAt = performance.now())));
    const o = await listen(server);
    const p = new H1Pool(`http://127.0.0.1:${o.port}`, { keepAliveTimeout: 10_000 });
    try {
      const r = await collect(p, {});
      assert.equal(r.headers['keep-alive'], 'timeout=2');
      const doneAt = performance.now();
      assert.equal(p.stats.free, 1);
      for (let i = 0; i < 150 && closedAt === 0; i++) await sleep(10);
      const after = closedAt - doneAt;
      assert.ok(after > 800 && after < 1_800, `closed ${after.toFixed(0)} ms after the response`);
      assert.equal(p.stats.connected, 0);
    } finally {
      await p.close();
      await o.close();
    }
  });

  it('close() lets running requests finish, then refuses new ones with UND_ERR_CLOSED', async () => {
    const p = new H1Pool(`http://127.0.0.1:${origin.port}`);
    const running = collect(p, { path: '/slow' });
    await sleep(10);
    const closed = p.close();
    const refused = await collect(p, { path: '/hello' });
    assert.equal(refused.error?.code, 'UND_ERR_CLOSED');
    assert.equal((await running).body.toString(), 'slow');
    await closed;
    assert.equal(p.stats.connected, 0);
  });

  it('destroy() fails running requests with UND_ERR_DESTROYED', async () => {
    const p = new H1Pool(`http://127.0.0.1:${origin.port}`);
    const running = collect(p, { path: '/slow' });
    await sleep(10);
    await p.destroy();
    const r = await running;
    assert.equal(r.error?.code, 'UND_ERR_DESTROYED');
    assert.deepEqual(r.late, []);
  });

  it('idle sockets never keep the process alive', async () => {
    // A child makes one request and never closes its pool: it must exit on its own, long before the idle timeout.
    const script = `
      import { H1Pool } from ${JSON.stringify(join(import.meta.dirname, 'h1-pool.ts'))};
      const pool = new H1Pool('http://127.0.0.1:${origin.port}', { keepAliveTimeout: 60_000 });
      pool.dispatch({ path: '/hello', method: 'GET' }, {
        onResponseEnd: () => console.log('done', pool.stats.free),
        onResponseError: (_c, e) => console.log('error', e.code),
      });`;
    const t0 = performance.now();
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    assert.equal(out.trim(), 'done 1');
    // The origin would keep that socket open for 30 s: exiting sooner proves the idle socket is unref'd.
    assert.ok(performance.now() - t0 < 10_000);
  });
});
