import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { CidrSet } from '../core/ip-prefix.ts';
import { DECISION_HEADER, writeError } from '../pipeline/respond.ts';
import { checkRequest } from './hygiene.ts';
import { CORPUS, CORPUS_LIMITS } from './hygiene-corpus.ts';
import { createPublicListener, type PublicListener } from './public-listener.ts';
import { rawExchange, TEST_TLS, testLimits, testListener } from './testing/raw-client.ts';

// The gateway's request path in miniature: hygiene first, then a trivial 200.
const limits = testLimits(CORPUS_LIMITS);
function gatewayLike(protocol: 'http' | 'https'): PublicListener {
  return createPublicListener(testListener({ protocol, tls: protocol === 'https' ? TEST_TLS : undefined }), limits, {
    trustedProxies: new CidrSet([]),
    onRequest: (req, res) => {
      const p = checkRequest(req, limits);
      if (p) {
        res.setHeader('x-caught-by', 'hygiene');
        writeError(res, { id: `h-${p.reason}`, headers: req.headers }, p.status, { close: true });
        return;
      }
      req.resume();
      req.on('end', () => res.end('clean'));
    },
  });
}

describe('hygiene corpus over a real socket (the cleartext parser + checkRequest)', () => {
  const gw = gatewayLike('http');
  let port = 0;
  before(async () => {
    port = (await gw.listen()).port;
  });
  after(() => gw.close(0));
  const clean = 'POST /ok HTTP/1.1\r\nhost: gw.test\r\ncontent-length: 3\r\nconnection: close\r\n\r\nabc';

  for (const c of CORPUS) {
    it(`${c.name} → ${c.status} (${c.by}), connection closed, gateway still serving`, async () => {
      const r = await rawExchange(port, [Buffer.from(c.raw, 'latin1')], { timeoutMs: 5_000 });
      assert.equal(r.status, c.status, r.text.slice(0, 200));
      assert.equal(r.closed, true);
      assert.match(r.text, new RegExp(`${DECISION_HEADER}: `));
      assert.equal(r.text.includes('x-caught-by: hygiene'), c.by === 'hygiene');
      const next = await rawExchange(port, [clean]);
      assert.equal(next.status, 200);
      assert.match(next.text, /clean$/);
    });
  }

  it('lets ordinary requests through: keep-alive, chunked body, absolute URI for our host, OPTIONS *', async () => {
    const r = await rawExchange(port, [
      'GET /a?b=c HTTP/1.1\r\nhost: gw.test\r\n\r\n',
      'POST /b HTTP/1.1\r\nhost: gw.test\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      'GET http://GW.test/c HTTP/1.1\r\nhost: gw.test\r\n\r\n',
      'OPTIONS * HTTP/1.1\r\nhost: gw.test\r\nconnection: close\r\n\r\n',
    ]);
    assert.equal(r.text.match(/HTTP\/1\.1 200/g)?.length, 4, r.text);
  });
});

/** One exchange over TLS (HTTP/1.1 by ALPN): the bytes as given, the reply as text. */
function tlsExchange(port: number, raw: string): Promise<{ status: number | undefined; closed: boolean }> {
  return new Promise((resolve) => {
    const t = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    let text = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      t.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : undefined, closed });
    };
    const timer = setTimeout(() => finish(false), 5_000);
    t.on('data', (d) => (text += d.toString('latin1')));
    t.on('close', () => finish(true));
    t.on('error', () => finish(true));
    t.once('secureConnect', () => t.write(Buffer.from(raw, 'latin1')));
  });
}

describe("hygiene corpus over HTTP/1.1 on TLS (Node's parser + checkRequest): the same answers", () => {
  const gw = gatewayLike('https');
  let port = 0;
  before(async () => {
    port = (await gw.listen()).port;
  });
  after(() => gw.close(0));
  for (const c of CORPUS) {
    // A TLS ClientHello inside TLS is just bytes of a bad request line; the cleartext case is what matters.
    it(`${c.name} → ${c.status}, connection closed`, async () => {
      const r = await tlsExchange(port, c.raw);
      assert.equal(r.status, c.status);
      assert.equal(r.closed, true);
    });
  }
});

describe('hygiene over HTTP/2', () => {
  const gw = gatewayLike('https');
  let port = 0;
  before(async () => {
    port = (await gw.listen()).port;
  });
  after(() => gw.close(0));

  function h2(headers: http2.OutgoingHttpHeaders): Promise<number> {
    return new Promise((resolve, reject) => {
      const c = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
      c.on('error', reject);
      const r = c.request(headers);
      r.on('response', (h) => {
        resolve(Number(h[':status']));
        c.close();
      });
      r.on('error', reject);
      r.end();
    });
  }

  const headers = (n: number) => {
    const h: http2.OutgoingHttpHeaders = { ':path': '/' };
    for (let i = 0; i < n; i++) h[`x-h${i}`] = '1';
    return h;
  };

  it('does not count pseudo-headers, refuses odd methods and too many headers', async () => {
    assert.equal(await h2({ ':path': '/' }), 200);
    assert.equal(await h2(headers(CORPUS_LIMITS.max_headers)), 200);
    assert.equal(await h2({ ':path': '/', ':method': 'TRACE' }), 501);
    assert.equal(await h2(headers(CORPUS_LIMITS.max_headers + 2)), 431);
  });

  it('far too many headers are refused by nghttp2 before any request exists', async () => {
    await assert.rejects(h2(headers(CORPUS_LIMITS.max_headers * 3)), /ENHANCE_YOUR_CALM|REFUSED|PROTOCOL_ERROR/);
    assert.equal(await h2({ ':path': '/' }), 200);
  });
});
