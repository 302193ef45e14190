import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../config/load.ts';
import { TEST_TLS } from '../../listeners/testing/raw-client.ts';
import { type Gateway, startGateway } from '../../server.ts';
import { adminCall, baseYaml, call } from '../../testing/gateway-kit.ts';

// The priority lane for people who came before the attack, over real sockets through the whole gateway: in normal
// mode a page load gets a visitor pass next to the origin's own cookies (forwarded and micro-cached answers
// alike); under a pinned under-attack mode the pass (or a session the origin issued) spares the class-wide
// challenge, a copy under another User-Agent or a spent pass does not, and no pass is handed out any more.

const UA = 'Mozilla/5.0 (X11; Linux x86_64) visitor-pass-test';
const HTML = 'text/html,application/xhtml+xml';

let origin: Server;
let gw: Gateway;
let port: number;
let tlsPort: number;
let adminPort: number;

before(async () => {
  // /login issues a session; other pages set a theme cookie, which must survive next to the pass, except the
  // cacheable /cached ones (no cookie of the origin's own, a max-age).
  origin = createServer((req, res) => {
    const cacheable = req.url?.startsWith('/cached') === true;
    const cookies = cacheable ? [] : ['theme=dark; Path=/'];
    if (req.url === '/login') cookies.push('sess=s3cr3t-session-value; Path=/; HttpOnly');
    const body = `<!doctype html><title>origin</title><p>${req.url}</p>`;
    const headers: Record<string, string | string[] | number> = {
      'content-type': 'text/html',
      'content-length': Buffer.byteLength(body),
    };
    if (cookies.length > 0) headers['set-cookie'] = cookies;
    if (cacheable) headers['cache-control'] = 'public, max-age=60';
    res.writeHead(200, headers);
    res.end(body);
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const tlsListener = `  - name: secure
    host: 127.0.0.1
    port: 0
    protocol: https
    tls: { cert: ${TEST_TLS.cert}, key: ${TEST_TLS.key} }
`;
  const yaml = baseYaml(
    `http://127.0.0.1:${(origin.address() as AddressInfo).port}`,
    `routes:
  - name: cached
    match: { path_prefix: /cached }
    class: critical
  - name: listing
    match: { path_prefix: /liste }
    class: bulk
challenge:
  clearance: { secure: false }
  pass: { budget: 4 }
detect:
  priority:
    session_cookies: [sess]
cache:
  routes:
    - { route: cached, ttl_s: 60 }
`,
    { listeners: tlsListener },
  );
  gw = await startGateway({ config: parseConfig(yaml, 'pass-test.yaml') });
  port = gw.listeners[0].port;
  tlsPort = gw.listeners[1].port;
  adminPort = gw.admin.port;
});

after(async () => {
  await gw?.close(1_000);
  await new Promise((r) => origin?.close(r));
});

const pin = async (mode: string) =>
  assert.equal((await adminCall(adminPort, 'PUT', '/api/mode', { json: { mode } })).status, 200);

function cookiesOf(h: { 'set-cookie'?: string[] }): string[] {
  return h['set-cookie'] ?? [];
}

function passOf(h: { 'set-cookie'?: string[] }): string | undefined {
  const line = cookiesOf(h).find((c) => c.startsWith('__rempart_pass='));
  return line?.split(';', 1)[0];
}

const get = (path: string, headers: Record<string, string> = {}) =>
  call(port, { path, headers: { 'user-agent': UA, accept: HTML, ...headers } });

describe('visitor pass', () => {
  let pass = '';
  let session = '';

  it('normal mode: a page load gets a pass next to the origin cookies; API calls, posts and holders do not', async () => {
    const page = await get('/accueil');
    assert.equal(page.status, 200);
    const p = passOf(page.headers);
    assert.ok(p, `no pass in ${JSON.stringify(cookiesOf(page.headers))}`);
    pass = p;
    const line = cookiesOf(page.headers).find((c) => c.startsWith('__rempart_pass='));
    assert.match(line ?? '', /; Path=\/; Max-Age=604800; HttpOnly; SameSite=Lax$/);
    assert.ok(cookiesOf(page.headers).includes('theme=dark; Path=/'), 'the origin cookie is kept');

    assert.equal(passOf((await get('/api/x', { accept: 'application/json' })).headers), undefined);
    const post = await call(port, {
      method: 'POST',
      path: '/form',
      headers: { 'user-agent': UA, accept: HTML },
      body: 'a=1',
    });
    assert.equal(post.status, 200);
    assert.equal(passOf(post.headers), undefined);
    assert.equal(passOf((await get('/accueil', { cookie: pass })).headers), undefined, 'a holder is not re-issued');
    const forged = `__rempart_pass=${'A'.repeat(51)}`;
    assert.ok(passOf((await get('/accueil', { cookie: forged })).headers), 'a pass the keys refuse is replaced');
    const moved = await get('/accueil', { cookie: pass, 'user-agent': 'Mozilla/5.0 another browser' });
    assert.ok(passOf(moved.headers), 'a pass bound to another client is replaced');

    // Micro-cached answers carry it too, on a miss and on a hit.
    for (const want of ['miss', 'hit']) {
      const c = await get('/cached/page');
      assert.equal(c.status, 200);
      assert.equal(c.headers['x-rempart-cache'], want);
      assert.ok(passOf(c.headers), `cached answer (${want}) without a pass`);
    }
    // The gateway's own cookies do not make a request private: a holder is still served from the cache.
    const held = await get('/cached/page', { cookie: pass });
    assert.equal(held.headers['x-rempart-cache'], 'hit');
    const other = await get('/cached/page', { cookie: `${pass}; theme=dark` });
    assert.notEqual(other.headers['x-rempart-cache'], 'hit', 'an origin cookie still bypasses the cache');
    const login = await get('/login');
    const sess = cookiesOf(login.headers).find((c) => c.startsWith('sess='));
    assert.ok(sess);
    session = sess.split(';', 1)[0];
  });

  it('over HTTP/2: the pass comes next to the origin cookies, Secure on a TLS listener', async () => {
    const session = http2.connect(`https://127.0.0.1:${tlsPort}`, { rejectUnauthorized: false });
    try {
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const st = session.request({ ':path': '/accueil', accept: HTML, 'user-agent': UA });
        st.on('response', resolve);
        st.on('error', reject);
        st.resume();
      });
      assert.equal(headers[':status'], 200);
      const cookies = (headers['set-cookie'] ?? []) as string[];
      assert.ok(cookies.includes('theme=dark; Path=/'), JSON.stringify(cookies));
      const line = cookies.find((c) => c.startsWith('__rempart_pass='));
      assert.match(line ?? '', /; HttpOnly; SameSite=Lax; Secure$/);
    } finally {
      session.close();
    }
  });

  it('under attack: the pass and the session spare the class-wide challenge; strangers and copies are challenged', async () => {
    await pin('under-attack');
    try {
      const stranger = await get('/accueil');
      assert.equal(stranger.status, 403);
      assert.match(String(stranger.headers['www-authenticate']), /^Rempart-PoW /);
      assert.equal(passOf(stranger.headers), undefined, 'no pass is handed out under attack');

      assert.equal((await get('/accueil', { cookie: pass })).status, 200);
      assert.equal((await get('/accueil', { cookie: session })).status, 200);
      assert.equal((await get('/accueil', { cookie: 'sess=forged-value' })).status, 403);
      const copied = await get('/accueil', { cookie: pass, 'user-agent': 'curl/8.0' });
      assert.equal(copied.status, 403, 'a pass is bound to the User-Agent it was given to');

      // Bulk shedding is mode-wide too: the holder's listing reaches the origin, the session's as well.
      const listing = await get('/liste?p=1', { cookie: pass });
      assert.equal(listing.status, 200, `listing: ${listing.status} ${listing.text.slice(0, 200)}`);
      assert.equal((await get('/liste?p=2', { cookie: session, accept: 'application/json' })).status, 200);
      const shed = await get('/liste?p=3', { accept: 'application/json', cookie: 'x=1' });
      assert.equal(shed.status, 401, 'a stranger is challenged first');

      // Budget 4: two spent above, two more, then the holder is asked for a proof like anyone.
      assert.equal((await get('/accueil', { cookie: pass })).status, 200);
      assert.equal((await get('/accueil', { cookie: pass })).status, 200);
      assert.equal((await get('/accueil', { cookie: pass })).status, 403);
    } finally {
      await pin('normal');
    }
  });
});
