import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { H1Pool } from './h1-pool.ts';
import { collect } from './testing/dispatch-collect.ts';
import { type Listening, listen } from './testing/front.ts';

// Bodies both ways: request bodies streamed (with the client's length, or chunked by us) with backpressure,
// response bodies paused and resumed, and aborts that the origin must see.

const MB = 1024 * 1024;

function blocks(total: number, size = 64 * 1024): Readable {
  const block = Buffer.alloc(size, 7);
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < total; sent += size) yield block.subarray(0, Math.min(size, total - sent));
    })(),
  );
}

async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

let originClosedEarly = 0;
let bigRes: ServerResponse | undefined;

function handler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/echo') {
    const h = createHash('sha256');
    let n = 0;
    req.on('data', (c: Buffer) => {
      h.update(c);
      n += c.length;
    });
    req.on('end', () =>
      res.end(JSON.stringify({ bytes: n, sha: h.digest('hex'), te: req.headers['transfer-encoding'] ?? null })),
    );
    req.on('error', () => {});
    res.on('close', () => {
      if (!res.writableFinished) originClosedEarly++;
    });
    return;
  }
  if (req.url === '/big') {
    bigRes = res;
    res.writeHead(200, { 'content-length': String(32 * MB) });
    let left = 32 * MB;
    const block = Buffer.alloc(64 * 1024, 9);
    const pump = () => {
      while (left > 0) {
        left -= block.length;
        if (!res.write(block)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => {
      if (!res.writableFinished) originClosedEarly++;
    });
    pump();
    return;
  }
  res.statusCode = 404;
  res.end();
}

describe('h1 pool bodies and backpressure', () => {
  let origin: Listening<Server>;
  let pool: H1Pool;

  before(async () => {
    origin = await listen(createServer(handler));
    pool = new H1Pool(`http://127.0.0.1:${origin.port}`, { connections: 4 });
  });

  after(async () => {
    await pool.close();
    await origin.close();
  });

  const expectedSha = createHash('sha256')
    .update(Buffer.alloc(5 * MB, 7))
    .digest('hex');

  it("streams a request body under the client's content-length, as it comes", async () => {
    const r = await collect(pool, {
      path: '/echo',
      method: 'POST',
      headers: ['content-length', String(5 * MB)],
      body: blocks(5 * MB),
    });
    assert.deepEqual(JSON.parse(r.body.toString()), { bytes: 5 * MB, sha: expectedSha, te: null });
  });

  it('streams a request body without a length as chunked', async () => {
    const r = await collect(pool, { path: '/echo', method: 'PUT', body: blocks(5 * MB) });
    assert.deepEqual(JSON.parse(r.body.toString()), { bytes: 5 * MB, sha: expectedSha, te: 'chunked' });
  });

  it('sends a Buffer body with its length, and an empty POST with content-length 0', async () => {
    const r = await collect(pool, { path: '/echo', method: 'POST', body: Buffer.from('hello') });
    assert.equal(JSON.parse(r.body.toString()).bytes, 5);
    const e = await collect(pool, { path: '/echo', method: 'POST', body: null });
    assert.equal(JSON.parse(e.body.toString()).bytes, 0);
  });

  it('a request body shorter than its content-length fails the request and drops the socket', async () => {
    const before = originClosedEarly;
    const r = await collect(pool, {
      path: '/echo',
      method: 'POST',
      headers: ['content-length', '100'],
      body: Readable.from([Buffer.from('only 14 bytes.')]),
    });
    assert.equal(r.error?.code, 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH');
    await until(() => originClosedEarly > before, 'origin sees the close');
  });

  it('a request body that errors (client gone) aborts the origin request', async () => {
    const before = originClosedEarly;
    const body = new PassThrough();
    const done = collect(pool, { path: '/echo', method: 'POST', body });
    body.write(Buffer.alloc(1000, 1));
    await sleep(50);
    body.destroy(new Error('client went away'));
    const r = await done;
    assert.equal(r.error?.message, 'client went away');
    await until(() => originClosedEarly > before, 'origin sees the close');
  });

  it('pause() stops reading the origin (its writes back up) and resume() brings every byte, intact', async () => {
    let paused = false;
    let dataWhilePaused = 0;
    let sawBackpressure = false;
    let bytes = 0;
    const r = await collect(
      pool,
      { path: '/big' },
      {
        onData: (c, chunk) => {
          if (paused) dataWhilePaused++;
          bytes += chunk.length;
          if (bytes < 8 * MB || paused || sawBackpressure) return;
          // Once, hold the response until the origin's own socket reports backpressure.
          paused = true;
          c.pause();
          void (async () => {
            await until(() => bigRes?.writableNeedDrain === true, 'origin backpressure', 10_000);
            sawBackpressure = true;
            paused = false;
            c.resume();
          })();
        },
      },
    );
    assert.equal(r.error, undefined);
    assert.equal(r.body.length, 32 * MB);
    assert.ok(
      r.body.every((b) => b === 9),
      'bytes intact',
    );
    assert.ok(sawBackpressure);
    assert.equal(dataWhilePaused, 0);
  });

  it('abort() mid-body: the origin sees the close, the handler hears one error and nothing more', async () => {
    const before = originClosedEarly;
    const reason = new Error('client aborted');
    const r = await collect(pool, { path: '/big' }, { onData: (c) => c.abort(reason) });
    assert.equal(r.error, reason);
    assert.ok(r.body.length < 32 * MB);
    assert.deepEqual(r.late, []);
    await until(() => originClosedEarly > before, 'origin sees the close');
  });

  it('abort() while waiting for a socket: error at once, nothing reaches the origin', async () => {
    const one = new H1Pool(`http://127.0.0.1:${origin.port}`, { connections: 1 });
    try {
      const first = collect(one, { path: '/big' }, { onData: (c) => c.pause() });
      await until(() => one.stats.running === 1, 'first running');
      let controller: { abort(e: Error): void } | undefined;
      const second = collect(one, { path: '/echo' }, { onStart: (c) => (controller = c) });
      assert.equal(one.stats.pending, 1);
      controller?.abort(new Error('gave up'));
      const r = await second;
      assert.equal(r.error?.message, 'gave up');
      assert.equal(one.stats.pending, 0);
      void first;
    } finally {
      await one.destroy();
    }
  });
});
