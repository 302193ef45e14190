import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { H1Pool } from './h1-pool.ts';
import { collect } from './testing/dispatch-collect.ts';
import { type Listening, listen } from './testing/front.ts';
import { throwawayCert } from './testing/throwaway-cert.ts';

// https:// upstreams: TLS with the origin's name as SNI, certificate checked against the given CA, keep-alive
// reuse over TLS. Skipped when openssl is missing.

const pair = throwawayCert();

describe('h1 pool to an https origin', { skip: pair === undefined ? 'openssl not found' : false }, () => {
  let origin: Listening<Server>;
  const sockets = new Set<unknown>();

  before(async () => {
    const server = createServer({ key: pair?.key, cert: pair?.cert }, (req, res) => {
      sockets.add(req.socket);
      res.end(
        JSON.stringify({
          sni: (req.socket as TLSSocket).servername || null,
          alpn: (req.socket as TLSSocket).alpnProtocol,
        }),
      );
    });
    origin = await listen(server);
  });

  after(async () => {
    await origin.close();
  });

  it('speaks HTTP/1.1 over TLS and reuses the socket', async () => {
    const p = new H1Pool(`https://127.0.0.1:${origin.port}`, { tls: { ca: pair?.cert } });
    try {
      sockets.clear();
      for (let i = 0; i < 3; i++) {
        const r = await collect(p, { path: '/' });
        assert.equal(r.status, 200, r.error?.message);
        assert.deepEqual(JSON.parse(r.body.toString()), { sni: null, alpn: 'http/1.1' }, 'no SNI for an address');
      }
      assert.equal(sockets.size, 1);
    } finally {
      await p.close();
    }
  });

  it('sends the host name as SNI', async () => {
    const p = new H1Pool(`https://localhost:${origin.port}`, { tls: { ca: pair?.cert } });
    try {
      const r = await collect(p, { path: '/' });
      assert.equal(r.status, 200, r.error?.message);
      assert.equal(JSON.parse(r.body.toString()).sni, 'localhost');
    } finally {
      await p.close();
    }
  });

  it('refuses a certificate it cannot verify (no retry code)', async () => {
    const p = new H1Pool(`https://127.0.0.1:${origin.port}`);
    try {
      const r = await collect(p, { path: '/' });
      assert.ok(r.error !== undefined);
      assert.match(String(r.error.code), /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    } finally {
      await p.close();
    }
  });
});
