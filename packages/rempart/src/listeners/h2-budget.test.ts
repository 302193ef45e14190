import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { CidrSet } from '../core/ip-prefix.ts';
import { decideReset, newResetBudget, RESET_WINDOW_MS } from './h2-budget.ts';
import { createPublicListener } from './public-listener.ts';
import { TEST_TLS, testLimits, testListener } from './testing/raw-client.ts';

describe('decideReset', () => {
  it('allows the budget within a window, refuses one more, starts afresh in the next window', () => {
    const s = newResetBudget(0);
    for (let i = 0; i < 3; i++) assert.equal(decideReset(s, 100 * i, 3), false);
    assert.equal(decideReset(s, 500, 3), true);
    assert.equal(decideReset(s, RESET_WINDOW_MS + 1, 3), false);
    assert.equal(s.count, 1);
  });
});

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

/** HPACK literal header field without indexing, new name (names/values under 127 bytes). */
function literal(name: string, value: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x00, name.length]),
    Buffer.from(name),
    Buffer.from([value.length]),
    Buffer.from(value),
  ]);
}

describe('HTTP/2 abuse over a real TLS listener', () => {
  const abuse: object[] = [];
  const gw = createPublicListener(
    testListener({ protocol: 'https', tls: TEST_TLS }),
    testLimits({ h2: { max_concurrent_streams: 50, max_header_list_bytes: 8_192, max_resets_per_10s: 40 } }),
    {
      trustedProxies: new CidrSet([]),
      onRequest: (_req, res) => {
        // Slow enough that a cancel lands before the answer, as in a real rapid-reset attack.
        setTimeout(() => {
          if (!res.destroyed) res.end('ok');
        }, 20);
      },
      log: (event, fields) => abuse.push({ event, ...fields }),
    },
  );
  let port = 0;
  before(async () => {
    port = (await gw.listen()).port;
  });
  after(() => gw.close(0));

  function goodGet(): Promise<number> {
    return new Promise((resolve, reject) => {
      const c = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
      c.on('error', reject);
      const r = c.request({ ':path': '/' });
      r.on('response', (h) => {
        resolve(Number(h[':status']));
        c.close();
      });
      r.on('error', reject);
      r.end();
    });
  }

  it('closes a session that opens and cancels streams as fast as it can (rapid reset)', async () => {
    const c = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
    c.on('error', () => {});
    await new Promise((r) => c.once('connect', r));
    let sent = 0;
    for (; sent < 2_000 && gw.stats().h2SessionsClosedForAbuse === 0; sent++) {
      const r = c.request({ ':path': `/r${sent}` });
      r.on('error', () => {});
      r.close(http2.constants.NGHTTP2_CANCEL);
      if (sent % 20 === 19) await new Promise((r) => setImmediate(r));
    }
    // The server's side of the connection is gone (Node's client may take a while to notice).
    for (let i = 0; i < 500 && gw.connectionCount() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    c.destroy();
    assert.equal(gw.stats().h2SessionsClosedForAbuse, 1);
    assert.equal(gw.connectionCount(), 0);
    assert.ok(sent < 2_000, `session survived ${sent} resets`);
    assert.deepEqual(abuse.at(-1), {
      event: 'h2_session_closed',
      reason: 'stream-resets',
      ip: '127.0.0.1',
      listener: 'test',
    });
    assert.equal(await goodGet(), 200);
  });

  it('closes a session that streams endless CONTINUATION frames, and keeps serving others', async () => {
    const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    s.on('error', () => {});
    await new Promise((r) => s.once('secureConnect', r));
    s.on('data', () => {});
    const closed = new Promise<boolean>((r) => {
      s.once('close', () => r(true));
      setTimeout(() => r(false), 15_000).unref();
    });
    s.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    s.write(frame(0x4, 0, 0, Buffer.alloc(0)));
    const start = Buffer.concat([
      Buffer.from([0x82, 0x84, 0x87]), // :method GET, :path /, :scheme https
      literal(':authority', 'localhost'),
    ]);
    s.write(frame(0x1, 0x1 /* END_STREAM, no END_HEADERS */, 1, start));
    const block = Buffer.concat(Array.from({ length: 10 }, (_, i) => literal(`x-flood-${i}`, 'v'.repeat(100))));
    let frames = 0;
    for (; frames < 5_000 && !s.destroyed; frames++) {
      s.write(frame(0x9, 0, 1, block));
      if (frames % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    assert.equal(await closed, true, 'server kept the flooding connection open');
    // nghttp2 (header list over max_header_list_bytes) ends the connection after a bounded amount of input.
    assert.ok(frames < 5_000, `server read ${frames} CONTINUATION frames`);
    assert.equal(await goodGet(), 200);
  });

  it('advertises max_concurrent_streams from the limits', async () => {
    const c = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
    c.on('error', () => {});
    await new Promise((r) => c.once('remoteSettings', r));
    assert.equal(c.remoteSettings.maxConcurrentStreams, 50);
    c.close();
  });
});
