import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { H1Pool } from './h1-pool.ts';
import { errorCode, shouldRetry } from './retry.ts';
import { collect } from './testing/dispatch-collect.ts';
import { type Listening, listen } from './testing/front.ts';
import { type RawOrigin, startRawOrigin } from './testing/raw-origin.ts';

// Failures, each with the code retry.ts and forward.ts read: timeouts, refused and dropped connections, the
// close race on a reused socket, and origins whose framing is wrong or ambiguous (error, socket never reused).

const retryableGet = (code: string | undefined) =>
  shouldRetry({ method: 'GET', hasBody: false, responseStarted: false, errorCode: code, retried: 0 }, 1);

async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('h1 pool failures', () => {
  let stall: Listening<Server>;
  let stallClosed = 0;

  before(async () => {
    stall = await listen(
      createServer((req, res) => {
        res.on('close', () => stallClosed++);
        if (req.url === '/partial') {
          res.writeHead(200, { 'content-length': '100' });
          res.write('some');
        }
      }),
    );
  });

  after(async () => {
    await stall.close();
  });

  it('connection refused: ECONNREFUSED, retryable', async () => {
    const gone = await listen(createServer());
    const port = gone.port;
    await gone.close();
    const p = new H1Pool(`http://127.0.0.1:${port}`);
    const r = await collect(p, {});
    assert.equal(r.error?.code, 'ECONNREFUSED');
    assert.ok(retryableGet(errorCode(r.error)));
    assert.deepEqual(p.stats, { connected: 0, free: 0, pending: 0, running: 0, size: 0 });
    await p.close();
  });

  it('connect timeout: UND_ERR_CONNECT_TIMEOUT (a TLS origin that never answers the handshake)', async () => {
    const mute = await startRawOrigin(() => {});
    const p = new H1Pool(`https://127.0.0.1:${mute.port}`, { connectTimeout: 200 });
    try {
      const t0 = performance.now();
      const r = await collect(p, {});
      assert.equal(r.error?.code, 'UND_ERR_CONNECT_TIMEOUT');
      assert.ok(performance.now() - t0 < 2_000);
      assert.ok(retryableGet(errorCode(r.error)));
    } finally {
      await p.destroy();
      await mute.close();
    }
  });

  it('an origin dropping every TLS handshake: the waiting request fails, no reconnect loop', async () => {
    const rude = await startRawOrigin(() => {});
    rude.server.on('connection', (s) => s.destroy());
    const p = new H1Pool(`https://127.0.0.1:${rude.port}`, { connectTimeout: 5_000 });
    try {
      const r = await collect(p, {});
      assert.ok(r.error !== undefined);
      assert.ok(retryableGet(errorCode(r.error)), `retryable (${errorCode(r.error)})`);
      await sleep(100);
      assert.equal(rude.accepted, 1);
      assert.deepEqual(p.stats, { connected: 0, free: 0, pending: 0, running: 0, size: 0 });
    } finally {
      await p.destroy();
      await rude.close();
    }
  });

  it('headers timeout: UND_ERR_HEADERS_TIMEOUT, and the origin sees the close', async () => {
    const p = new H1Pool(`http://127.0.0.1:${stall.port}`, { headersTimeout: 200 });
    const before = stallClosed;
    const r = await collect(p, { path: '/stall' });
    assert.equal(r.error?.code, 'UND_ERR_HEADERS_TIMEOUT');
    await until(() => stallClosed > before, 'origin sees the close');
    await p.close();
  });

  it('body timeout: UND_ERR_BODY_TIMEOUT after the head', async () => {
    const p = new H1Pool(`http://127.0.0.1:${stall.port}`, { bodyTimeout: 200 });
    const r = await collect(p, { path: '/partial' });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'some');
    assert.equal(r.error?.code, 'UND_ERR_BODY_TIMEOUT');
    await p.close();
  });

  it('per-request timeouts in the dispatch options win over the pool defaults', async () => {
    const p = new H1Pool(`http://127.0.0.1:${stall.port}`, { headersTimeout: 60_000 });
    const r = await collect(p, { path: '/stall', headersTimeout: 150 });
    assert.equal(r.error?.code, 'UND_ERR_HEADERS_TIMEOUT');
    await p.close();
  });

  it('a request on a reused socket the origin closes before answering: retryable socket error', async () => {
    const raw = await startRawOrigin((s, _head, i) => {
      if (i === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else s.destroy(); // the keep-alive close race, made certain
    });
    const p = new H1Pool(`http://127.0.0.1:${raw.port}`);
    try {
      assert.equal((await collect(p, {})).body.toString(), 'ok');
      const r = await collect(p, {});
      assert.equal(r.error?.code, 'UND_ERR_SOCKET');
      assert.ok(retryableGet(errorCode(r.error)), `retryable (${errorCode(r.error)})`);
      assert.equal(raw.accepted, 1, 'the second request went on the reused socket');
    } finally {
      await p.close();
      await raw.close();
    }
  });

  it('an idle socket closed by the origin is dropped; the next request opens a new one', async () => {
    const raw = await startRawOrigin((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const p = new H1Pool(`http://127.0.0.1:${raw.port}`);
    try {
      // Content-Length framing keeps the socket; the origin's FIN then arrives while it is idle.
      assert.equal((await collect(p, {})).body.toString(), 'ok');
      await until(() => p.stats.connected === 0, 'idle socket dropped');
      assert.equal((await collect(p, {})).body.toString(), 'ok');
      assert.equal(raw.accepted, 2);
    } finally {
      await p.close();
      await raw.close();
    }
  });

  const shapes: [string, string, string][] = [
    [
      'CL with TE',
      'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      'HPE_UNEXPECTED_CONTENT_LENGTH',
    ],
    ['differing CLs', 'Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 'HPE_INVALID_CONTENT_LENGTH'],
    ['bad chunk size', 'Transfer-Encoding: chunked\r\n\r\n3x\r\nabc\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['obs-fold', 'X-A: one\r\n two\r\nContent-Length: 0\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['TE gzip', 'Transfer-Encoding: gzip\r\n\r\nabc', 'HPE_INVALID_TRANSFER_ENCODING'],
  ];
  for (const [name, rest, code] of shapes) {
    it(`an origin answering ${name}: ${code}, socket closed, never reused`, async () => {
      let answered = 0;
      const raw: RawOrigin = await startRawOrigin((s) => {
        s.write(answered++ === 0 ? `HTTP/1.1 200 OK\r\n${rest}` : 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      });
      const p = new H1Pool(`http://127.0.0.1:${raw.port}`);
      try {
        const r = await collect(p, {});
        assert.equal(r.error?.code, code, r.error?.message);
        assert.equal(retryableGet(errorCode(r.error)), false);
        await until(() => raw.closed === 1, 'origin sees the close');
        assert.equal((await collect(p, {})).body.toString(), 'ok');
        assert.equal(raw.accepted, 2);
      } finally {
        await p.close();
        await raw.close();
      }
    });
  }

  it('bytes beyond a complete response: the answer is kept, the socket is not', async () => {
    const raw = await startRawOrigin((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA'));
    const p = new H1Pool(`http://127.0.0.1:${raw.port}`);
    try {
      assert.equal((await collect(p, {})).body.toString(), 'ok');
      await until(() => raw.closed === 1, 'socket dropped');
      assert.equal(p.stats.connected, 0);
    } finally {
      await p.close();
      await raw.close();
    }
  });

  it('a handler that throws while taking the body gets onResponseError with that error, once', async () => {
    const p = new H1Pool(`http://127.0.0.1:${stall.port}`);
    const boom = new Error('boom');
    const r = await collect(
      p,
      { path: '/partial' },
      {
        onData: () => {
          throw boom;
        },
      },
    );
    assert.equal(r.error, boom);
    assert.deepEqual(r.late, []);
    await p.close();
  });

  it('refuses invalid requests before any socket: CR/LF in a value, bad name, bad path, CONNECT', async () => {
    const p = new H1Pool(`http://127.0.0.1:${stall.port}`);
    const bad = [
      { headers: ['x-a', 'one\r\nx-injected: 1'] },
      { headers: { 'bad name': 'x' } },
      { headers: ['x-a', 'caf\u010d'] },
      { path: '/a b' },
      { path: 'relative' },
      { method: 'CONNECT' as const },
      { headers: ['transfer-encoding', 'chunked'] },
      { headers: ['content-length', '5'] },
    ];
    for (const opts of bad) {
      const r = await collect(p, opts);
      assert.match(String(r.error?.code), /^UND_ERR_(INVALID_ARG|REQ_CONTENT_LENGTH_MISMATCH)$/, JSON.stringify(opts));
    }
    assert.equal(p.stats.connected, 0);
    await p.close();
  });
});
