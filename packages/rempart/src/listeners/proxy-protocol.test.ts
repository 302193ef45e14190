import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import tls from 'node:tls';
import { CidrSet } from '../core/ip-prefix.ts';
import { encodeProxyV2, PROXY_V2_SIGNATURE, parseProxyV2 } from './proxy-protocol.ts';
import { createPublicListener, type PublicListener } from './public-listener.ts';
import { rawExchange, TEST_TLS, testLimits, testListener } from './testing/raw-client.ts';

describe('parseProxyV2', () => {
  const v4 = encodeProxyV2({ ip: '203.0.113.7', port: 40000 }, { ip: '192.0.2.1', port: 443 });
  const v6 = encodeProxyV2({ ip: '2001:db8::42', port: 1234 }, { ip: '2001:db8::1', port: 80 });
  const local = encodeProxyV2(undefined);
  const withTlv = Buffer.concat([v4, Buffer.from([0x04, 0x00, 0x02, 0xaa, 0xbb])]);
  withTlv.writeUInt16BE(12 + 5, 14);
  const mutate = (b: Buffer, at: number, value: number) => {
    const c = Buffer.from(b);
    c[at] = value;
    return c;
  };

  it('reads TCP4 source and destination', () => {
    assert.deepEqual(parseProxyV2(v4), {
      kind: 'ok',
      length: 28,
      command: 'proxy',
      source: { ip: '203.0.113.7', port: 40000 },
      destination: { ip: '192.0.2.1', port: 443 },
    });
  });
  it('reads TCP6 addresses', () => {
    const h = parseProxyV2(v6);
    assert.equal(h.kind, 'ok');
    assert.equal(h.kind === 'ok' && h.source?.ip, '2001:db8::42');
    assert.equal(h.kind === 'ok' && h.length, 52);
  });
  it('reads LOCAL (balancer health check) without addresses', () => {
    assert.deepEqual(parseProxyV2(local), { kind: 'ok', length: 16, command: 'local' });
  });
  it('skips TLVs by their declared length', () => {
    const h = parseProxyV2(Buffer.concat([withTlv, Buffer.from('GET')]));
    assert.equal(h.kind === 'ok' && h.length, 33);
  });

  const table: [name: string, buf: Buffer, want: string][] = [
    ['empty buffer waits', Buffer.alloc(0), 'incomplete'],
    ['partial signature waits', PROXY_V2_SIGNATURE.subarray(0, 5), 'incomplete'],
    ['partial addresses wait', v4.subarray(0, 20), 'incomplete'],
    ['plain HTTP is refused', Buffer.from('GET / HTTP/1.1\r\n'), 'invalid'],
    ['PROXY v1 text is refused', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), 'invalid'],
    ['version 1 in the binary header', mutate(v4, 12, 0x11), 'invalid'],
    ['unknown command', mutate(v4, 12, 0x2f), 'invalid'],
    ['UDP transport', mutate(v4, 13, 0x12), 'invalid'],
    ['UNIX family', mutate(v4, 13, 0x31), 'invalid'],
    [
      'address block shorter than TCP4 needs',
      Buffer.concat([v4.subarray(0, 14), Buffer.from([0, 4, 1, 2, 3, 4])]),
      'invalid',
    ],
    ['declared length beyond the cap', Buffer.concat([v4.subarray(0, 14), Buffer.from([0xff, 0xff])]), 'invalid'],
  ];
  for (const [name, buf, want] of table) it(name, () => assert.equal(parseProxyV2(buf).kind, want));
});

describe('PROXY protocol over sockets', () => {
  const listeners: PublicListener[] = [];
  after(async () => {
    for (const l of listeners) await l.close(0);
  });
  async function start(trusted: string[], over = {}) {
    const l = createPublicListener(testListener({ proxy_protocol: true, ...over }), testLimits(), {
      trustedProxies: new CidrSet(trusted),
      onRequest: (_req, res, info) => res.end(`peer=${info.peerIp}`),
    });
    listeners.push(l);
    return (await l.listen()).port;
  }
  const get = 'GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n';

  it('takes the client address from a trusted balancer, in the same packet as the request', async () => {
    const port = await start(['127.0.3.0/24']);
    const hdr = encodeProxyV2({ ip: '198.51.100.23', port: 5555 });
    const r = await rawExchange(port, [Buffer.concat([hdr, Buffer.from(get)])], { localAddress: '127.0.3.1' });
    assert.equal(r.status, 200);
    assert.match(r.text, /peer=198\.51\.100\.23$/);
  });

  it('accepts a header split across packets and a LOCAL command (peer address stands)', async () => {
    const port = await start(['127.0.3.0/24']);
    const hdr = encodeProxyV2({ ip: '2001:db8::7', port: 5555 });
    const split = await rawExchange(port, [hdr.subarray(0, 10), hdr.subarray(10), get], {
      localAddress: '127.0.3.2',
      gapMs: 30,
    });
    assert.match(split.text, /peer=2001:db8::7$/);
    const local = await rawExchange(port, [Buffer.concat([encodeProxyV2(undefined), Buffer.from(get)])], {
      localAddress: '127.0.3.3',
    });
    assert.match(local.text, /peer=127\.0\.3\.3$/);
  });

  it('closes connections from untrusted peers and malformed headers without answering', async () => {
    const port = await start(['127.0.3.0/24']);
    const hdr = encodeProxyV2({ ip: '198.51.100.23', port: 5555 });
    const untrusted = await rawExchange(port, [Buffer.concat([hdr, Buffer.from(get)])], { localAddress: '127.0.4.1' });
    assert.deepEqual([untrusted.closed, untrusted.text], [true, '']);
    const plain = await rawExchange(port, [get], { localAddress: '127.0.3.4' });
    assert.deepEqual([plain.closed, plain.text], [true, '']);
    const bad = Buffer.from(hdr);
    bad[13] = 0x12;
    const malformed = await rawExchange(port, [bad, get], { localAddress: '127.0.3.5' });
    assert.deepEqual([malformed.closed, malformed.text], [true, '']);
    const ok = await rawExchange(port, [Buffer.concat([hdr, Buffer.from(get)])], { localAddress: '127.0.3.6' });
    assert.equal(ok.status, 200);
  });

  it('applies the per-IP cap to the client named in the header, not to the balancer', async () => {
    const l = createPublicListener(testListener({ proxy_protocol: true }), testLimits({ max_connections_per_ip: 1 }), {
      trustedProxies: new CidrSet(['127.0.6.1']),
      onRequest: (_req, res, info) => res.end(`peer=${info.peerIp}`),
    });
    listeners.push(l);
    const { port } = await l.listen();
    const from = (ip: string) => encodeProxyV2({ ip, port: 1000 });
    const holdA = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.6.1' });
    holdA.on('error', () => {});
    await new Promise((r) => holdA.once('connect', r));
    holdA.write(from('192.0.2.10'));
    for (let i = 0; i < 200 && l.connectionCount() < 1; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    const otherClient = await rawExchange(port, [Buffer.concat([from('192.0.2.11'), Buffer.from(get)])], {
      localAddress: '127.0.6.1',
    });
    assert.match(otherClient.text, /peer=192\.0\.2\.11$/);
    const sameClient = await rawExchange(port, [Buffer.concat([from('192.0.2.10'), Buffer.from(get)])], {
      localAddress: '127.0.6.1',
    });
    assert.deepEqual([sameClient.closed, sameClient.text], [true, '']);
    holdA.destroy();
  });

  it('works in front of TLS when the ClientHello shares the packet with the header', async () => {
    const port = await start(['127.0.0.1/32'], { protocol: 'https', tls: TEST_TLS });
    const raw = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' });
    raw.cork();
    raw.write(encodeProxyV2({ ip: '192.0.2.99', port: 1 }));
    const t = tls.connect({ socket: raw, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    process.nextTick(() => raw.uncork());
    t.write(get);
    const text = await new Promise<string>((resolve, reject) => {
      let s = '';
      t.on('data', (d) => (s += d));
      t.on('end', () => resolve(s));
      t.on('error', reject);
    });
    assert.match(text, /peer=192\.0\.2\.99$/);
  });

  it('reports the PROXY client address for HTTP/2 requests too', async () => {
    const port = await start(['127.0.0.1/32'], { protocol: 'https', tls: TEST_TLS });
    const c = http2.connect('https://localhost', {
      createConnection: () => {
        const raw = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' });
        raw.cork();
        raw.write(encodeProxyV2({ ip: '198.51.100.5', port: 9 }));
        process.nextTick(() => raw.uncork());
        return tls.connect({ socket: raw, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
      },
    });
    c.on('error', () => {});
    const body = await new Promise<string>((resolve, reject) => {
      const r = c.request({ ':path': '/' });
      let b = '';
      r.setEncoding('utf8');
      r.on('data', (d) => (b += d));
      r.on('end', () => resolve(b));
      r.on('error', reject);
    });
    c.close();
    assert.equal(body, 'peer=198.51.100.5');
  });
});
