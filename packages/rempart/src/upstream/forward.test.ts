import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../core/clock.ts';
import { DECISION_HEADER } from '../pipeline/respond.ts';
import { call } from './testing/call.ts';
import { type Listening, startFront, startOrigin, upstreamConfig } from './testing/front.ts';
import { createUpstreams, type Upstreams } from './upstreams.ts';

const MB = 1024 * 1024;

async function* chunks(total: number, size = 64 * 1024): AsyncGenerator<Buffer> {
  const block = Buffer.alloc(size, 7);
  for (let sent = 0; sent < total; sent += size) yield block.subarray(0, Math.min(size, total - sent));
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Origin behaviour per path, so one origin serves every case of this file. */
const seen: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];
let originSockets = 0;
let closedByClient = 0;
let attempts = new Map<string, number>();

function originHandler(req: IncomingMessage, res: ServerResponse): void {
  seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
  const path = (req.url ?? '/').split('?')[0];
  attempts.set(path, (attempts.get(path) ?? 0) + 1);
  switch (path) {
    case '/echo': {
      const h = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => {
        h.update(c);
        n += c.length;
      });
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.end(
          JSON.stringify({ method: req.method, url: req.url, bytes: n, sha: h.digest('hex'), headers: req.headers }),
        );
      });
      return;
    }
    case '/big': {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let left = 20 * MB;
      const block = Buffer.alloc(64 * 1024, 9);
      const pump = () => {
        while (left > 0) {
          const n = Math.min(block.length, left);
          left -= n;
          if (!res.write(block.subarray(0, n))) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    case '/hints':
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write('hello ');
      res.addTrailers({ 'x-checksum': 'abc123' });
      res.end('world');
      return;
    case '/no-content':
      res.writeHead(204, { 'x-kind': 'empty' });
      res.end();
      return;
    case '/not-modified':
      res.writeHead(304, { etag: '"v1"' });
      res.end();
      return;
    case '/head':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '11' });
      res.end(req.method === 'HEAD' ? undefined : 'hello world');
      return;
    case '/close':
      res.writeHead(200, { connection: 'close', 'content-type': 'text/plain' });
      res.end('bye');
      return;
    case '/reset-first':
      if (attempts.get(path) === 1) {
        req.socket.destroy();
        return;
      }
      res.end('second try');
      return;
    case '/reset-always':
      req.socket.destroy();
      return;
    case '/stall':
      res.on('close', () => {
        if (!res.writableFinished) closedByClient++;
      });
      return;
    case '/stall-body':
      res.on('close', () => {
        if (!res.writableFinished) closedByClient++;
      });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      return;
    case '/cut-body':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      res.write('only a part');
      setTimeout(() => req.socket.destroy(), 50);
      return;
    default:
      res.statusCode = 404;
      res.end('no');
  }
}

describe('upstream forward over real sockets', () => {
  let origin: Listening<Server>;
  let upstreams: Upstreams;
  let front: Awaited<ReturnType<typeof startFront>>;
  let refusedPort: number;

  before(async () => {
    origin = await startOrigin(originHandler);
    origin.server.on('connection', () => originSockets++);
    const gone = await startOrigin(() => {});
    refusedPort = gone.port;
    await gone.close();
    upstreams = createUpstreams(
      [
        upstreamConfig(origin.port, { headers_timeout_ms: 1_000, retries: 1, eject_after_failures: 1000 }),
        upstreamConfig(refusedPort, { name: 'refused', retries: 2, eject_after_failures: 1000 }),
      ],
      { clock: systemClock },
    );
    front = await startFront(upstreams);
  });

  after(async () => {
    await front.close();
    await upstreams.close();
    await origin.close();
  });

  for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    it(`${method} reaches the origin with forwarding headers and its body`, async () => {
      const body = method === 'GET' || method === 'OPTIONS' ? undefined : `payload for ${method}`;
      const a = await call(front.port, {
        method,
        path: '/echo?q=1&b=two',
        headers: {
          'x-custom': 'yes',
          connection: 'keep-alive, x-custom-hop',
          'x-custom-hop': 'drop me',
          'x-forwarded-for': '6.6.6.6',
        },
        body,
      });
      assert.equal(a.status, 200);
      const got = JSON.parse(a.body.toString());
      assert.equal(got.method, method);
      assert.equal(got.url, '/echo?q=1&b=two');
      assert.equal(got.bytes, body === undefined ? 0 : Buffer.byteLength(body));
      assert.equal(got.headers['x-custom'], 'yes');
      assert.equal(got.headers['x-custom-hop'], undefined);
      assert.equal(got.headers['x-forwarded-for'], '127.0.0.1', 'an untrusted client cannot forge its address');
      assert.equal(got.headers['x-forwarded-proto'], 'http');
      assert.equal(got.headers.via, '1.1 rempart');
      assert.equal(got.headers.host, `127.0.0.1:${front.port}`);
      assert.match(got.headers['x-request-id'], /^[0-9a-f]{8}/);
      assert.deepEqual(a.headers['set-cookie'], ['a=1', 'b=2']);
    });
  }

  it('streams a 20 MB chunked upload to the origin intact', async () => {
    const expected = createHash('sha256');
    for await (const c of chunks(20 * MB)) expected.update(c);
    const a = await call(front.port, { method: 'POST', path: '/echo', body: chunks(20 * MB) });
    assert.equal(a.status, 200);
    const got = JSON.parse(a.body.toString());
    assert.equal(got.bytes, 20 * MB);
    assert.equal(got.sha, expected.digest('hex'));
    assert.equal(got.headers['transfer-encoding'], 'chunked');
  });

  it('streams a 20 MB download back intact', async () => {
    const a = await call(front.port, { path: '/big' });
    assert.equal(a.status, 200);
    assert.equal(a.body.length, 20 * MB);
    assert.equal(
      a.body.every((b) => b === 9),
      true,
    );
  });

  it('reuses kept-alive origin connections', async () => {
    const before = originSockets;
    for (let i = 0; i < 20; i++) assert.equal((await call(front.port, { path: '/echo' })).status, 200);
    assert.ok(
      originSockets - before <= 1,
      `opened ${originSockets - before} origin sockets for 20 sequential requests`,
    );
  });

  it('passes 103 Early Hints and trailers through', async () => {
    const a = await call(front.port, { path: '/hints', headers: { te: 'trailers' } });
    assert.equal(a.status, 200);
    assert.equal(a.body.toString(), 'hello world');
    assert.deepEqual(
      a.informational.map((i) => [i.status, i.headers.link]),
      [[103, '</style.css>; rel=preload; as=style']],
    );
    assert.equal(a.trailers['x-checksum'], 'abc123');
  });

  it('answers HEAD, 204 and 304 without bodies', async () => {
    const head = await call(front.port, { method: 'HEAD', path: '/head' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '11');
    assert.equal(head.body.length, 0);
    const nc = await call(front.port, { path: '/no-content' });
    assert.equal(nc.status, 204);
    assert.equal(nc.headers['x-kind'], 'empty');
    assert.equal(nc.body.length, 0);
    const nm = await call(front.port, { path: '/not-modified' });
    assert.equal(nm.status, 304);
    assert.equal(nm.headers.etag, '"v1"');
    assert.equal(nm.body.length, 0);
    // The next request on the same gateway still works (no stray body bytes on a reused origin socket).
    assert.equal((await call(front.port, { path: '/echo' })).status, 200);
  });

  it("keeps the client's connection when the origin says Connection: close", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const a = await call(front.port, { path: '/close', agent });
      assert.equal(a.status, 200);
      assert.equal(a.body.toString(), 'bye');
      assert.notEqual(a.headers.connection, 'close');
      const b = await call(front.port, { path: '/close', agent });
      assert.equal(b.body.toString(), 'bye');
    } finally {
      agent.destroy();
    }
  });

  it('answers 504 with a decision id when the origin sends no headers in time', async () => {
    const n = front.results.length;
    const a = await call(front.port, { path: '/stall', headers: { accept: 'application/json' } });
    assert.equal(a.status, 504);
    const body = JSON.parse(a.body.toString());
    assert.equal(body.decision_id, a.headers[DECISION_HEADER]);
    await until(() => front.results.length > n, 'result');
    assert.equal(front.results.at(-1)?.outcome, 'timeout');
  });

  it('answers 502 when the origin refuses connections, after the allowed retries', async () => {
    const refusedFront = await startFront(upstreams, 'refused');
    try {
      const a = await call(refusedFront.port, { path: '/x' });
      assert.equal(a.status, 502);
      assert.match(a.body.toString(), /Reference \/ Reference|Référence/);
      await until(() => refusedFront.results.length === 1, 'result');
      assert.deepEqual(
        { outcome: refusedFront.results[0].outcome, retried: refusedFront.results[0].retried },
        { outcome: 'upstream-error', retried: 2 },
      );
    } finally {
      await refusedFront.close();
    }
  });

  it('retries an idempotent request reset before any response byte', async () => {
    attempts = new Map();
    const n = front.results.length;
    const a = await call(front.port, { path: '/reset-first' });
    assert.equal(a.status, 200);
    assert.equal(a.body.toString(), 'second try');
    assert.equal(attempts.get('/reset-first'), 2);
    await until(() => front.results.length > n, 'result');
    assert.equal(front.results.at(-1)?.retried, 1);
  });

  it('never retries a POST', async () => {
    attempts = new Map();
    const a = await call(front.port, { method: 'POST', path: '/reset-always' });
    assert.equal(a.status, 502);
    assert.equal(attempts.get('/reset-always'), 1);
    const b = await call(front.port, { method: 'GET', path: '/reset-always' });
    assert.equal(b.status, 502);
    assert.equal(attempts.get('/reset-always'), 3, 'GET: first try + 1 retry');
  });

  for (const path of ['/stall', '/stall-body']) {
    it(`a client leaving cancels the origin request at once (${path})`, async () => {
      const before = closedByClient;
      const n = front.results.length;
      const req = request({ host: '127.0.0.1', port: front.port, path });
      req.on('error', () => {});
      req.on('response', (res) => res.on('error', () => {}));
      req.end();
      await until(() => seen.some((s) => s.url === path) && upstreams.stats()[0].inflight > 0, 'origin reached');
      req.destroy();
      await until(() => closedByClient > before, 'origin sees the close', 5_000);
      await until(() => front.results.length > n, 'result');
      assert.equal(front.results.at(-1)?.outcome, 'client-aborted');
      assert.equal(upstreams.stats()[0].inflight, 0);
      seen.length = 0;
    });
  }

  it('answers Expect: 100-continue and forwards the body', async () => {
    const got = await new Promise<{ status: number; continued: boolean; body: string }>((resolve, reject) => {
      let continued = false;
      const req = request({
        host: '127.0.0.1',
        port: front.port,
        method: 'PUT',
        path: '/echo',
        headers: { expect: '100-continue', 'content-length': '5' },
      });
      req.on('continue', () => {
        continued = true;
        req.end('hello');
      });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, continued, body }));
      });
      req.on('error', reject);
    });
    assert.equal(got.status, 200);
    assert.equal(got.continued, true);
    const echoed = JSON.parse(got.body);
    assert.equal(echoed.bytes, 5);
    assert.equal(echoed.headers.expect, undefined);
  });

  it('reports the final status to the admission hook and measures upstreamMs', async () => {
    const seenStatus: number[] = [];
    let result: import('./forward.ts').ForwardResult | undefined;
    const { createServer } = await import('node:http');
    const { ctxFor, listen } = await import('./testing/front.ts');
    const hooked = await listen(
      createServer((req, res) => {
        upstreams.forward('origin', req, res, ctxFor(req), {
          onResponseStart: (_ctx, st) => seenStatus.push(st),
          onSettled: (_ctx, _res, r) => {
            result = r;
          },
        });
      }),
    );
    try {
      const a = await call(hooked.port, { path: '/hints' });
      assert.equal(a.status, 200);
      await until(() => result !== undefined, 'result');
      assert.deepEqual(seenStatus, [200], '103 is not a final status');
      assert.equal(result?.outcome, 'ok');
      assert.equal(result?.status, 200);
      assert.ok((result?.upstreamMs ?? -1) > 0);
    } finally {
      await hooked.close();
    }
  });

  it('sends a body the server already buffered (form rules) instead of the drained stream', async () => {
    const { createServer } = await import('node:http');
    const { ctxFor, listen } = await import('./testing/front.ts');
    const buffering = await listen(
      createServer((req, res) => {
        const parts: Buffer[] = [];
        req.on('data', (c: Buffer) => parts.push(c));
        req.on('end', () => {
          upstreams.forward('origin', req, res, ctxFor(req), undefined, Buffer.concat(parts));
        });
      }),
    );
    try {
      const a = await call(buffering.port, { method: 'POST', path: '/echo', body: 'user=ana&pass=secret' });
      assert.equal(a.status, 200);
      const got = JSON.parse(a.body.toString());
      assert.equal(got.bytes, 20);
      assert.equal(got.headers['content-length'], '20');
    } finally {
      await buffering.close();
    }
  });

  it('cuts the client stream when the origin fails after the headers (never a truncated success)', async () => {
    await assert.rejects(call(front.port, { path: '/cut-body' }));
  });
});
