import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { createManualClock } from '../../core/clock.ts';
import type { RequestCtx } from '../types.ts';
import { cacheSchema } from './config.ts';
import { type CacheModePolicy, createMicroCache } from './micro-cache.ts';
import { createOriginFetch, endToEnd } from './origin.ts';

// Over real sockets: a node:http origin that counts what it receives, a minimal gateway that runs the
// micro-cache and forwards bypassed requests, and an undici client.

const seen: { path: string; n: number }[] = [];
let originMode: 'ok' | 'fail500' | 'reset' = 'ok';
let counter = 0;

function originHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url!, 'http://x');
  seen.push({ path: req.url!, n: ++counter });
  if (originMode === 'fail500') {
    res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
    return;
  }
  if (originMode === 'reset') {
    req.socket.destroy();
    return;
  }
  const body = `${url.pathname} #${counter} q=${url.search}`;
  switch (url.pathname) {
    case '/public':
    case '/search':
      res.writeHead(200, {
        'content-type': 'text/plain',
        'cache-control': 'public, max-age=60',
        etag: `"e${counter}"`,
      });
      return void res.end(body);
    case '/slow':
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(body), 1_000);
      return;
    case '/private':
      res.writeHead(200, { 'cache-control': 'private, max-age=60' });
      return void res.end(body);
    case '/nostore':
      res.writeHead(200, { 'cache-control': 'no-store' });
      return void res.end(body);
    case '/cookie':
      res.writeHead(200, { 'set-cookie': 'sid=abc; HttpOnly' });
      return void res.end(body);
    case '/vary':
      res.writeHead(200, { vary: 'Accept-Language' });
      return void res.end(`${body} lang=${req.headers['accept-language']}`);
    case '/big':
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void res.end(Buffer.alloc(300_000, 97));
    default:
      res.writeHead(404).end('no');
  }
}

const clock = createManualClock();
let modePolicy: CacheModePolicy = 'normal';
let overloaded = false;
const cache = createMicroCache(
  cacheSchema.parse({
    max_object_bytes: 100_000,
    routes: [
      {
        route: 'site',
        ttl_s: 2,
        query_allow: ['a', 'b', 'q'],
        stale_while_revalidate_s: 3,
        stale_if_error_s: 60,
      },
    ],
  }),
  clock,
  { modePolicy: () => modePolicy, overloaded: () => overloaded },
);

let origin: Server;
let gateway: Server;
let base: string;
const client = new Agent({ connections: 1_100, pipelining: 1 });
let ids = 0;

function ctxOf(req: IncomingMessage): RequestCtx {
  const u = req.url!;
  const q = u.indexOf('?');
  return {
    id: `c${++ids}`,
    startedAt: clock.now(),
    startedMono: clock.mono(),
    method: req.method!,
    path: q < 0 ? u : u.slice(0, q),
    query: q < 0 ? '' : u.slice(q + 1),
    headers: req.headers,
    httpVersion: '1.1',
    tls: false,
    peerIp: '127.0.0.1',
    route: { name: 'site', routeClass: 'bulk', upstream: 'origin' },
    routeClass: 'bulk',
    trace: [],
  };
}

before(async () => {
  origin = createServer(originHandler);
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const upstream = new Agent({ connections: 50 });
  const fetch = createOriginFetch({ origin: originUrl, dispatcher: upstream });
  gateway = createServer(async (req, res) => {
    const ctx = ctxOf(req);
    const outcome = await cache.handle(ctx, res, fetch);
    if (outcome !== 'bypass') return;
    // What the lead's upstream path does for everything the cache does not take: stream it through.
    const up = await request(`${originUrl}${req.url}`, {
      method: req.method as 'GET',
      headers: endToEnd(req.headers),
      dispatcher: upstream,
    });
    res.writeHead(up.statusCode, { ...endToEnd(up.headers), 'x-rempart-cache': 'bypass' });
    for await (const c of up.body) res.write(c);
    res.end();
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});

after(async () => {
  await client.close();
  gateway.closeAllConnections();
  origin.closeAllConnections();
  await new Promise((r) => gateway.close(r));
  await new Promise((r) => origin.close(r));
});

beforeEach(() => {
  originMode = 'ok';
  modePolicy = 'normal';
  overloaded = false;
  // Every case starts with an empty-looking cache: move past any earlier entry's stale windows.
  clock.advance(3_600_000);
  seen.length = 0;
});

async function get(path: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
  const r = await request(`${base}${path}`, { method, headers, dispatcher: client });
  const body = await r.body.text();
  return { status: r.statusCode, cache: String(r.headers['x-rempart-cache']), body, headers: r.headers };
}

describe('micro-cache over sockets', () => {
  it('serves repeats from cache and normalises the key (unknown params dropped, known sorted)', async () => {
    const a = await get('/search?b=2&a=1&utm_source=x');
    const b = await get('/search?a=1&b=2&x9k2m1=zz');
    const c = await get('/search?a=1&b=2');
    assert.equal(a.cache, 'miss');
    assert.equal(b.cache, 'hit');
    assert.equal(c.cache, 'hit');
    assert.equal(b.body, a.body);
    assert.deepEqual(
      seen.map((s) => s.path),
      ['/search?a=1&b=2'],
      'the origin sees one request, with the normalised query',
    );
  });

  it('a cache-busting flood of random parameters reaches the origin once', async () => {
    const all = await Promise.all(
      Array.from({ length: 300 }, (_, i) => get(`/search?q=colis&${(i * 7919).toString(36)}x=${i}&_=${i * 31}`)),
    );
    assert.ok(all.every((r) => r.status === 200 && r.body === all[0].body));
    assert.deepEqual(
      seen.map((s) => s.path),
      ['/search?q=colis'],
    );
  });

  it('a HEAD miss is filled with a GET and answered without a body', async () => {
    const h = await get('/public?a=head', {}, 'HEAD');
    assert.equal(h.status, 200);
    assert.equal(h.body, '');
    const g = await get('/public?a=head');
    assert.equal(g.cache, 'hit');
    assert.match(g.body, /^\/public #\d+/);
    assert.equal(seen.length, 1);
  });

  it('never stores private, no-store or Set-Cookie responses', async () => {
    for (const p of ['/private', '/nostore', '/cookie']) {
      const a = await get(p);
      const b = await get(p);
      assert.notEqual(a.body, b.body, p);
      assert.equal(a.cache, 'pass', p);
      assert.equal(b.cache, 'bypass', p);
    }
    assert.equal(seen.length, 6);
  });

  it('bypasses requests with cookies or Authorization', async () => {
    await get('/public');
    const withCookie = await get('/public', { cookie: 'sid=1' });
    const withAuth = await get('/public', { authorization: 'Bearer x' });
    assert.equal(withCookie.cache, 'bypass');
    assert.equal(withAuth.cache, 'bypass');
    assert.equal(seen.length, 3);
  });

  it('single-flight: 1,000 concurrent misses make exactly 1 origin request', async () => {
    const all = await Promise.all(Array.from({ length: 1_000 }, () => get('/slow?q=same')));
    assert.equal(seen.length, 1);
    assert.ok(all.every((r) => r.status === 200 && r.body === all[0].body));
    const labels = new Map<string, number>();
    for (const r of all) labels.set(r.cache, (labels.get(r.cache) ?? 0) + 1);
    assert.equal(labels.get('miss'), 1);
    assert.equal((labels.get('coalesced') ?? 0) + (labels.get('hit') ?? 0), 999, JSON.stringify([...labels]));
  });

  it('stale-while-revalidate: serves stale at once and refreshes in the background', async () => {
    const a = await get('/public');
    clock.advance(3_000); // expired (ttl 2 s), within swr (3 s)
    const b = await get('/public');
    assert.equal(b.cache, 'stale');
    assert.equal(b.body, a.body);
    for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const c = await get('/public');
    assert.equal(c.cache, 'hit');
    assert.notEqual(c.body, a.body, 'refreshed');
    assert.equal(seen.length, 2);
  });

  it('stale-if-error: serves stale when the origin fails (5xx or connection reset)', async () => {
    const a = await get('/public');
    clock.advance(10_000); // past ttl + swr, within stale-if-error
    originMode = 'fail500';
    const b = await get('/public');
    assert.equal(b.status, 200);
    assert.equal(b.cache, 'stale-error');
    assert.equal(b.body, a.body);
    originMode = 'reset';
    const c = await get('/public');
    assert.equal(c.status, 200);
    assert.equal(c.cache, 'stale-error');
    // Without anything stale, the origin's failure shows: its 500, or a gateway 502 with a decision id.
    originMode = 'fail500';
    assert.equal((await get('/public?a=new')).status, 500);
    originMode = 'reset';
    const d = await get('/public?a=other');
    assert.equal(d.status, 502);
    assert.match(d.body, /Reference: c\d+/);
  });

  it('stale-first (under attack): stale is served without waiting for the origin', async () => {
    const a = await get('/public');
    clock.advance(30_000);
    modePolicy = 'stale-first';
    const b = await get('/public');
    assert.equal(b.cache, 'stale');
    assert.equal(b.body, a.body);
    // The refresh it started reaches the origin once.
    // Up to 10 s: on a loaded machine the background fetch can take a while to be scheduled.
    for (let i = 0; i < 500 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(seen.length, 2);
  });

  it('stale-ok (elevated): stale first only while the origin is overloaded', async () => {
    const a = await get('/public');
    clock.advance(30_000);
    modePolicy = 'stale-ok';
    const b = await get('/public');
    assert.equal(b.cache, 'miss', 'origin coping: a fresh answer');
    clock.advance(30_000);
    overloaded = true;
    const c = await get('/public');
    assert.equal(c.cache, 'stale');
    assert.equal(c.body, b.body, 'the entry stored by the refetch above');
    assert.notEqual(b.body, a.body);
    // Up to 10 s: on a loaded machine the background fetch can take a while to be scheduled.
    for (let i = 0; i < 500 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(seen.length, 3, 'one background refresh');
  });

  it('Vary: one entry per variant', async () => {
    const fr = await get('/vary', { 'accept-language': 'fr' });
    const en = await get('/vary', { 'accept-language': 'en' });
    const fr2 = await get('/vary', { 'accept-language': 'fr' });
    const en2 = await get('/vary', { 'accept-language': 'en' });
    assert.match(fr.body, /lang=fr/);
    assert.match(en.body, /lang=en/);
    assert.equal(fr2.body, fr.body);
    assert.equal(en2.body, en.body);
    assert.equal(fr2.cache, 'hit');
    assert.equal(seen.length, 2);
  });

  it('HEAD is answered from the GET entry; If-None-Match gets 304', async () => {
    const a = await get('/public');
    const h = await get('/public', {}, 'HEAD');
    assert.equal(h.cache, 'hit');
    assert.equal(h.body, '');
    assert.equal(Number(h.headers['content-length']), Buffer.byteLength(a.body));
    const n = await get('/public', { 'if-none-match': String(a.headers.etag) });
    assert.equal(n.status, 304);
    assert.equal(seen.length, 1);
  });

  it('bodies above max_object_bytes go through uncached', async () => {
    const a = await get('/big');
    const b = await get('/big');
    assert.equal(a.body.length, 300_000);
    assert.equal(b.cache, 'bypass');
    assert.equal(cache.stats().bytes < 100_000 * 4, true);
  });
});
