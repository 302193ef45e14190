import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { sourceAddress } from '../load/sources.ts';
import { makeThrowawayCert } from '../targets/throwaway-cert.ts';
import { startH2Attack } from './h2-abuse.ts';
import { startSlowAttack } from './slow-connections.ts';

// Connection vectors against real servers: a hardened node:http (short header/request timeouts) must close
// slowloris and slow POST connections; an HTTP/2-over-TLS server (the lab's throwaway certificate) sees
// rapid-reset streams and CONTINUATION frames; a TLS server without h2 in ALPN is counted as not_h2.

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('connection and HTTP/2 vectors', () => {
  const closers: (() => void)[] = [];
  after(() => {
    for (const c of closers) c();
  });

  for (const kind of ['slowloris', 'slow-post'] as const) {
    test(`${kind}: opens connections from many sources; a server with timeouts closes them`, async () => {
      const peers = new Set<string>();
      const server = http.createServer(
        { headersTimeout: 1000, requestTimeout: 1500, connectionsCheckingInterval: 200 },
        (req, res) => {
          req.resume();
          req.on('end', () => res.end('ok'));
        },
      );
      server.on('connection', (s) => peers.add(s.remoteAddress ?? ''));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      closers.push(() => {
        server.closeAllConnections();
        server.close();
      });
      const { port } = server.address() as AddressInfo;
      const a = startSlowAttack({
        kind,
        host: '127.0.0.1',
        port,
        rate: 20,
        maxConnections: 30,
        source: (k) => sourceAddress(5000 + (k % 25)),
      });
      await wait(5000);
      const s = a.stop();
      assert.ok(s.opened >= 10, `opened ${s.opened}`);
      assert.ok(s.closed_by_target >= 5, `closed by target ${s.closed_by_target}`);
      assert.ok(peers.size >= 10, `distinct peers ${peers.size}`);
    });
  }

  const cert = makeThrowawayCert();

  test('h2 rapid reset: streams are opened and cancelled over TLS (ALPN h2)', async () => {
    let streams = 0;
    const server = http2.createSecureServer({ cert: cert.cert, key: cert.key });
    server.on('stream', (st) => {
      streams++;
      st.on('error', () => {});
      if (!st.destroyed) st.respond({ ':status': 200 });
      st.end();
    });
    server.on('sessionError', () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const { port } = server.address() as AddressInfo;
    const a = startH2Attack({
      kind: 'h2-rapid-reset',
      host: '127.0.0.1',
      port,
      rate: 200,
      maxConnections: 4,
      source: (k) => sourceAddress(6000 + k),
    });
    await wait(2500);
    const s = a.stop();
    assert.ok(s.streams_opened >= 50, `opened ${s.streams_opened}`);
    assert.equal(s.streams_reset, s.streams_opened);
    assert.equal(s.not_h2, 0);
    assert.ok(streams >= 1, 'the server saw streams');
  });

  test('h2 CONTINUATION flood: frames are sent and counted over TLS (ALPN h2)', async () => {
    const server = http2.createSecureServer({ cert: cert.cert, key: cert.key, maxHeaderListPairs: 64 });
    server.on('stream', (st) => st.close());
    server.on('sessionError', () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const { port } = server.address() as AddressInfo;
    const a = startH2Attack({
      kind: 'h2-continuation',
      host: '127.0.0.1',
      port,
      rate: 400,
      maxConnections: 2,
      source: (k) => sourceAddress(7000 + k),
    });
    await wait(2500);
    const s = a.stop();
    assert.ok(s.continuation_frames >= 10, `frames ${s.continuation_frames}`);
    assert.ok(s.sessions >= 1);
    assert.equal(s.not_h2, 0);
  });

  test('a TLS listener without h2 in ALPN is counted (not_h2 or a failed handshake), and no frame is sent', async () => {
    const h1 = https.createServer({ cert: cert.cert, key: cert.key, ALPNProtocols: ['http/1.1'] }, (_q, r) =>
      r.end('ok'),
    );
    await new Promise<void>((r) => h1.listen(0, '127.0.0.1', r));
    closers.push(() => h1.close());
    const { port } = h1.address() as AddressInfo;
    const a = startH2Attack({
      kind: 'h2-continuation',
      host: '127.0.0.1',
      port,
      rate: 100,
      maxConnections: 1,
      source: (k) => sourceAddress(7100 + k),
    });
    await wait(1000);
    const s = a.stop();
    assert.ok(s.not_h2 + s.session_errors >= 1, `not_h2 ${s.not_h2}, errors ${s.session_errors}`);
    assert.equal(s.continuation_frames, 0);
  });
});
