import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { CidrSet } from '../core/ip-prefix.ts';
import { ConnGuard, decideConn } from './conn-guard.ts';
import { createPublicListener } from './public-listener.ts';
import { rawExchange, testLimits, testListener } from './testing/raw-client.ts';

describe('decideConn', () => {
  const caps = { maxTotal: 10, maxPerIp: 3 };
  const cases: [name: string, total: number, perIp: number, want: string][] = [
    ['empty server accepts', 0, 0, 'accept'],
    ['last per-IP slot accepts', 5, 2, 'accept'],
    ['per-IP cap refuses', 5, 3, 'over-ip'],
    ['global cap refuses first', 10, 3, 'over-total'],
    ['global cap refuses a new address', 10, 0, 'over-total'],
  ];
  for (const [name, total, perIp, want] of cases) it(name, () => assert.equal(decideConn(total, perIp, caps), want));
});

describe('ConnGuard', () => {
  it('counts, refuses, releases and forgets addresses with no connection left', () => {
    const g = new ConnGuard({ maxTotal: 3, maxPerIp: 2 });
    assert.equal(g.acquire('a'), 'accept');
    assert.equal(g.acquire('a'), 'accept');
    assert.equal(g.acquire('a'), 'over-ip');
    assert.equal(g.acquire('b'), 'accept');
    assert.equal(g.acquire('c'), 'over-total');
    assert.deepEqual(g.refused, { 'over-total': 1, 'over-ip': 1 });
    g.release('a');
    g.release('a');
    assert.equal(g.heldBy('a'), 0);
    assert.equal(g.trackedIps, 1);
    assert.equal(g.total, 1);
    g.release('never-seen');
    assert.equal(g.total, 1);
  });

  it('counts unattributed (PROXY) connections toward the global cap, then per client once named', () => {
    const g = new ConnGuard({ maxTotal: 3, maxPerIp: 1 });
    assert.equal(g.acquire(undefined), 'accept');
    assert.equal(g.acquire(undefined), 'accept');
    assert.equal(g.attribute('c1'), 'accept');
    assert.equal(g.attribute('c1'), 'over-ip');
    g.release(undefined); // the refused one
    assert.equal(g.total, 1);
    assert.equal(g.acquire(undefined), 'accept');
    assert.equal(g.acquire(undefined), 'accept');
    assert.equal(g.acquire(undefined), 'over-total');
    g.release('c1');
    assert.equal(g.heldBy('c1'), 0);
    assert.equal(g.total, 2);
  });

  it('never tracks more addresses than the global cap', () => {
    const g = new ConnGuard({ maxTotal: 50, maxPerIp: 1 });
    for (let i = 0; i < 1000; i++) g.acquire(`10.0.${i >> 8}.${i & 255}`);
    assert.equal(g.trackedIps, 50);
  });
});

describe('connection caps over sockets', () => {
  const listener = createPublicListener(testListener(), testLimits({ max_connections: 4, max_connections_per_ip: 2 }), {
    trustedProxies: new CidrSet([]),
    onRequest: (_req, res) => res.end('ok'),
  });
  const held: net.Socket[] = [];
  after(async () => {
    for (const s of held) s.destroy();
    await listener.close(0);
  });

  function hold(port: number, localAddress: string): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
      s.on('error', reject);
      held.push(s);
    });
  }
  async function waitCount(n: number) {
    for (let i = 0; i < 500 && listener.connectionCount() !== n; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(listener.connectionCount(), n);
  }

  it('closes connections over the per-IP cap at once, serves other addresses, frees slots on close', async () => {
    const { port } = await listener.listen();
    await hold(port, '127.0.1.1');
    await hold(port, '127.0.1.1');
    await waitCount(2);
    const third = await rawExchange(port, ['GET / HTTP/1.1\r\nhost: x\r\n\r\n'], { localAddress: '127.0.1.1' });
    assert.equal(third.closed, true);
    assert.equal(third.text, '');
    const other = await rawExchange(port, ['GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'], {
      localAddress: '127.0.1.2',
    });
    assert.equal(other.status, 200);
    held.shift()?.destroy();
    await waitCount(1);
    const again = await rawExchange(port, ['GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'], {
      localAddress: '127.0.1.1',
    });
    assert.equal(again.status, 200);
    assert.equal(listener.stats().refusedOverIp, 1);
  });

  it('closes connections over the global cap, whatever the address', async () => {
    const port = listener.address()?.port ?? 0;
    await waitCount(1);
    for (const a of ['127.0.2.1', '127.0.2.2', '127.0.2.3']) await hold(port, a);
    await waitCount(4);
    const fifth = await rawExchange(port, ['GET / HTTP/1.1\r\nhost: x\r\n\r\n'], { localAddress: '127.0.2.4' });
    assert.equal(fifth.closed, true);
    assert.equal(fifth.text, '');
    assert.equal(listener.stats().refusedOverTotal, 1);
  });
});
