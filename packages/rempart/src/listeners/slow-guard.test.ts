import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { CidrSet } from '../core/ip-prefix.ts';
import { writeError } from '../pipeline/respond.ts';
import { createPublicListener, type PublicListener } from './public-listener.ts';
import { decideBodyRate, guardBody, httpTimeouts } from './slow-guard.ts';
import { rawExchange, TEST_TLS, testLimits, testListener } from './testing/raw-client.ts';

describe('decideBodyRate', () => {
  const cases: [name: string, got: number, ms: number, rate: number, remaining: number | undefined, ok: boolean][] = [
    ['fast enough', 5_000, 1_000, 1_024, undefined, true],
    ['too slow', 100, 1_000, 1_024, undefined, false],
    ['exactly the minimum', 2_048, 2_000, 1_024, undefined, true],
    ['only a little left to send and it all came', 10, 5_000, 1_024, 0, true],
    ['a little left but nothing came', 0, 5_000, 1_024, 10, false],
  ];
  for (const [name, got, ms, rate, remaining, ok] of cases) {
    it(name, () => assert.equal(decideBodyRate(got, ms, rate, remaining), ok));
  }
});

describe('httpTimeouts', () => {
  it('keeps headersTimeout within requestTimeout and checks often enough', () => {
    const t = httpTimeouts(testLimits({ header_timeout_ms: 40_000, request_timeout_ms: 30_000 }));
    assert.equal(t.headersTimeout, 30_000);
    assert.ok(t.connectionsCheckingInterval <= 1_000);
  });
});

const bodyLimits = { maxBytes: 1_000, minRateBps: 200, graceMs: 600 };

function guardedListener(protocol: 'http' | 'https', seen: string[]): PublicListener {
  return createPublicListener(
    testListener({ protocol, tls: protocol === 'https' ? TEST_TLS : undefined }),
    testLimits({ header_timeout_ms: 700, request_timeout_ms: 20_000 }),
    {
      trustedProxies: new CidrSet([]),
      onRequest: (req, res) => {
        const g = guardBody(req, bodyLimits, (status) => {
          seen.push(String(status));
          writeError(res, { id: `slow-${status}`, headers: req.headers }, status, { close: true });
        });
        if (g.violation) return;
        let n = 0;
        req.on('data', (d: Buffer) => (n += d.length));
        req.on('end', () => {
          if (!res.headersSent) res.end(`got ${n}`);
        });
      },
    },
  );
}

describe('slow and oversized requests over sockets', () => {
  const seen: string[] = [];
  const gw = guardedListener('http', seen);
  let port = 0;
  before(async () => {
    port = (await gw.listen()).port;
  });
  after(() => gw.close(0));
  const head = (extra: string) => `POST /up HTTP/1.1\r\nhost: gw\r\n${extra}\r\n`;

  it('slow headers get 408 and a close', async () => {
    const r = await rawExchange(
      port,
      ['POST /up HTTP/1.1\r\n', 'host: gw\r\n', 'x-a: 1\r\n', 'x-b: 2\r\n', 'x-c: 3\r\n'],
      {
        gapMs: 400,
        timeoutMs: 15_000,
      },
    );
    assert.equal(r.status, 408);
    assert.equal(r.closed, true);
    assert.match(r.text, /x-rempart-decision: /);
  });

  it('a body trickling in below the minimum rate gets 408 and a close', async () => {
    const chunks = [head('content-length: 900\r\n'), ...Array.from({ length: 30 }, () => 'x'.repeat(10))];
    const r = await rawExchange(port, chunks, { gapMs: 150, timeoutMs: 15_000 });
    assert.equal(r.status, 408);
    assert.equal(r.closed, true);
    assert.match(r.text, /slow-408/);
  });

  it('a declared length over the limit gets 413 before any body is read', async () => {
    const r = await rawExchange(port, [head('content-length: 5000\r\n')]);
    assert.equal(r.status, 413);
    assert.equal(r.closed, true);
  });

  it('a chunked body growing past the limit gets 413', async () => {
    const chunk = `190\r\n${'y'.repeat(400)}\r\n`;
    const r = await rawExchange(port, [head('transfer-encoding: chunked\r\n'), chunk, chunk, chunk, '0\r\n\r\n'], {
      gapMs: 20,
    });
    assert.equal(r.status, 413);
    assert.equal(r.closed, true);
  });

  it('an honest body arriving steadily is read in full by the handler (the guard consumes nothing)', async () => {
    const chunks = [
      head('content-length: 800\r\nconnection: close\r\n'),
      ...Array.from({ length: 8 }, () => 'z'.repeat(100)),
    ];
    const r = await rawExchange(port, chunks, { gapMs: 100, timeoutMs: 15_000 });
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /got 800$/);
  });
});

describe('body guard over HTTP/2', () => {
  const seen: string[] = [];
  const gw = guardedListener('https', seen);
  let port = 0;
  before(async () => {
    port = (await gw.listen()).port;
  });
  after(() => gw.close(0));

  it('413 for an oversized declared body, full read for a good one, on one session', async () => {
    const c = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
    after(() => c.close());
    const send = (len: number, body: string, end: boolean) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const r = c.request({ ':method': 'POST', ':path': '/', 'content-length': len });
        let text = '';
        let status = 0;
        r.setEncoding('utf8');
        r.on('response', (h) => (status = Number(h[':status'])));
        r.on('data', (d) => (text += d));
        r.on('end', () => {
          resolve({ status, text });
          r.close();
        });
        r.on('error', reject);
        if (end) r.end(body);
        else r.write(body);
      });
    assert.equal((await send(5_000, 'a'.repeat(100), false)).status, 413);
    const undeclared = await new Promise<number>((resolve, reject) => {
      const r = c.request({ ':method': 'POST', ':path': '/' });
      r.on('response', (h) => {
        resolve(Number(h[':status']));
        r.close();
      });
      r.on('error', reject);
      r.write('b'.repeat(700));
      setTimeout(() => r.write('b'.repeat(700)), 50);
    });
    assert.equal(undeclared, 413);
    const ok = await send(500, 'q'.repeat(500), true);
    assert.deepEqual(ok, { status: 200, text: 'got 500' });
  });

  it('slow headers on HTTP/1.1 over TLS get 408 too', async () => {
    const t = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    t.on('error', () => {});
    await new Promise((r) => t.once('secureConnect', r));
    let text = '';
    t.on('data', (d) => (text += d));
    t.write('GET / HTTP/1.1\r\nhost: gw\r\n');
    const trickle = setInterval(() => t.writable && t.write('x-a: 1\r\n'), 300);
    await new Promise<void>((r) => {
      t.once('close', () => r());
      setTimeout(r, 15_000).unref();
    });
    clearInterval(trickle);
    assert.match(text, /^HTTP\/1\.1 408 /);
  });
});

describe('idle HTTP/2 sessions', () => {
  it('are closed after request_timeout_ms without frames', async () => {
    const gw = createPublicListener(
      testListener({ protocol: 'https', tls: TEST_TLS }),
      testLimits({ header_timeout_ms: 500, request_timeout_ms: 1_000 }),
      { trustedProxies: new CidrSet([]), onRequest: (_req, res) => res.end('ok') },
    );
    const { port } = await gw.listen();
    after(() => gw.close(0));
    const c = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
    c.on('error', () => {});
    const goaway = new Promise<boolean>((r) => {
      c.once('goaway', () => r(true));
      setTimeout(() => r(false), 15_000).unref();
    });
    assert.equal(await goaway, true);
    for (let i = 0; i < 200 && gw.connectionCount() > 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(gw.connectionCount(), 0);
    c.destroy();
  });
});
