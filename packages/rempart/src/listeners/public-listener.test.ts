import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { after, describe, it } from 'node:test';
import { CidrSet } from '../core/ip-prefix.ts';
import { createPublicListener, type PublicListener } from './public-listener.ts';
import { rawExchange, TEST_TLS, testLimits, testListener } from './testing/raw-client.ts';
import type { ConnInfo } from './types.ts';

const open: PublicListener[] = [];
after(async () => {
  for (const l of open) await l.close(0);
});

async function start(
  over: Parameters<typeof testListener>[0],
  onRequest?: Parameters<typeof createPublicListener>[2]['onRequest'],
) {
  const seen: ConnInfo[] = [];
  const l = createPublicListener(testListener(over), testLimits(), {
    trustedProxies: new CidrSet([]),
    onRequest:
      onRequest ??
      ((req, res, info) => {
        seen.push(info);
        res.end(`hello ${req.httpVersion} ${info.peerIp} ${info.tls}`);
      }),
  });
  open.push(l);
  const addr = await l.listen();
  return { l, port: addr.port, seen };
}

function h1Get(port: number, opts: https.RequestOptions = {}, tls = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const mod = tls ? https : http;
    const req = mod.request(
      { host: '127.0.0.1', port, path: '/', agent: false, rejectUnauthorized: false, ...opts } as https.RequestOptions,
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function h2Get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const c = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
    c.on('error', reject);
    const r = c.request({ ':path': path });
    let body = '';
    let status = 0;
    r.setEncoding('utf8');
    r.on('response', (h) => (status = Number(h[':status'])));
    r.on('data', (d) => (body += d));
    r.on('end', () => {
      c.close();
      resolve({ status, body });
    });
    r.on('error', reject);
  });
}

describe('public listener', () => {
  it('serves cleartext HTTP/1.1 and reports the peer address', async () => {
    const { port } = await start({});
    const r = await h1Get(port, { localAddress: '127.0.0.9' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hello 1.1 127.0.0.9 false');
  });

  it('serves HTTP/2 and HTTP/1.1 over TLS on one https listener, next to an http one', async () => {
    const a = await start({ name: 'tls', protocol: 'https', tls: TEST_TLS });
    const b = await start({ name: 'plain' });
    const r2 = await h2Get(a.port);
    assert.equal(r2.status, 200);
    assert.equal(r2.body, 'hello 2.0 127.0.0.1 true');
    const r1 = await h1Get(a.port, { localAddress: '127.0.0.12' }, true);
    assert.equal(r1.body, 'hello 1.1 127.0.0.12 true');
    assert.equal((await h1Get(b.port)).body, 'hello 1.1 127.0.0.1 false');
  });

  it('hands each TLS request its handshake print: stable for one client stack, different for another', async () => {
    const prints: (number | undefined)[] = [];
    const a = await start({ name: 'tls', protocol: 'https', tls: TEST_TLS }, (_req, res, info) => {
      prints.push(info.tlsPrint);
      res.end('ok');
    });
    const b = await start({ name: 'plain' }, (_req, res, info) => {
      prints.push(info.tlsPrint);
      res.end('ok');
    });
    await h1Get(a.port, {}, true);
    await h1Get(a.port, {}, true);
    // Another TLS stack's choices: TLS 1.2 with one cipher suite, as an old client library would.
    await h1Get(
      a.port,
      { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384' },
      true,
    );
    await h1Get(b.port);
    const [first, again, other, plain] = prints;
    assert.ok(typeof first === 'number' && first !== 0);
    assert.equal(again, first, 'same client stack, new connection: same print');
    assert.ok(typeof other === 'number' && other !== first, 'another TLS stack: another print');
    assert.equal(plain, undefined, 'cleartext: no print');
  });

  it('applies updated limits to new connections', async () => {
    const { l, port } = await start({});
    const net = await import('node:net');
    const hold = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.5.1' });
    await new Promise((r) => hold.once('connect', r));
    l.updateLimits(testLimits({ max_connections_per_ip: 1 }));
    const refused = await rawExchange(port, ['GET / HTTP/1.1\r\nhost: x\r\n\r\n'], { localAddress: '127.0.5.1' });
    assert.deepEqual([refused.closed, refused.text], [true, '']);
    l.updateLimits(testLimits({ max_connections_per_ip: 2 }));
    const ok = await rawExchange(port, ['GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'], {
      localAddress: '127.0.5.1',
    });
    assert.equal(ok.status, 200);
    hold.destroy();
  });

  it('drains gracefully: in-flight requests finish, new connections are refused', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { l, port } = await start({}, (_req, res) => {
      gate.then(() => res.end('late but complete'));
    });
    const inflight = h1Get(port);
    while (l.connectionCount() === 0) await new Promise((r) => setTimeout(r, 10));
    const closing = l.close(10_000);
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(h1Get(port));
    release();
    const r = await inflight;
    assert.equal(r.body, 'late but complete');
    await closing;
    assert.equal(l.connectionCount(), 0);
  });

  it('destroys what is still open when the grace period ends', async () => {
    const { l, port } = await start({}, () => {
      /* never answers */
    });
    const inflight = h1Get(port).then(
      () => 'answered',
      () => 'cut',
    );
    while (l.connectionCount() === 0) await new Promise((r) => setTimeout(r, 10));
    await l.close(100);
    assert.equal(await inflight, 'cut');
    assert.equal(l.connectionCount(), 0);
  });
});
