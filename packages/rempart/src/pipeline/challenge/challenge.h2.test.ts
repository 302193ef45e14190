import assert from 'node:assert/strict';
import { type ClientHttp2Session, connect, createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { parseChallenge, solvePow } from '../../../client/solve.ts';
import { systemClock } from '../../core/clock.ts';
import { newDecisionId } from '../../core/decision-id.ts';
import { clientPrefix, normaliseIp } from '../../core/ip-prefix.ts';
import { createResponder } from '../respond.ts';
import type { Deps, RequestCtx } from '../types.ts';
import { defaultChallengeConfig } from './config.ts';
import { CSP } from './page.ts';
import { createChallenge } from './stage.ts';

// The renderer and endpoint write through Node's HTTP/2 compatibility API too (no connection-specific headers).

let server: Http2Server;
let session: ClientHttp2Session;
const m = createChallenge(
  defaultChallengeConfig({ secret: 'h2-secret-0123456789abcdef0123456789ab', difficulty: { base: 6, max: 8 } }),
  systemClock,
);
const deps = {
  clock: systemClock,
  snapshot: { mode: 'under-attack', pressure: 0, pinned: true, since: 0 },
} as unknown as Deps;
const responder = createResponder({ renderChallenge: m.renderChallenge });

before(async () => {
  server = createServer((req, res) => {
    const raw = req.url;
    const q = raw.indexOf('?');
    const ip = normaliseIp(req.socket.remoteAddress ?? '');
    const ctx: RequestCtx = {
      id: newDecisionId(),
      startedAt: Date.now(),
      startedMono: 0,
      method: req.method,
      path: q < 0 ? raw : raw.slice(0, q),
      query: q < 0 ? '' : raw.slice(q + 1),
      headers: req.headers,
      httpVersion: '2.0',
      tls: false,
      peerIp: ip,
      client: { ip, prefix: clientPrefix(ip) },
      routeClass: 'critical',
      trace: [],
    };
    if (m.handleChallengeEndpoint(req, res, ctx, deps)) return;
    const v = m.stage.run(ctx, deps);
    if (v instanceof Promise) throw new Error('sync stage');
    if (v.kind !== 'pass') return responder.verdict(res, ctx, v);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('origin');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  session = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
after(async () => {
  session?.close();
  await new Promise((r) => server.close(r));
});

function get(headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const s = session.request(headers);
    let status = 0;
    let h: Record<string, unknown> = {};
    const parts: Buffer[] = [];
    s.on('response', (x) => {
      status = Number(x[':status']);
      h = x;
    });
    s.on('data', (c: Buffer) => parts.push(c));
    s.on('end', () => resolve({ status, headers: h, body: Buffer.concat(parts).toString('utf8') }));
    s.on('error', reject);
    s.end(body);
  });
}

test('over HTTP/2: JSON challenge, proof, clearance, pass; HTML page for a browser', async () => {
  const base = { 'user-agent': 'h2-app', accept: 'application/json' };
  const c1 = await get({ ':path': '/api/x', ...base });
  assert.equal(c1.status, 401);
  const ch = parseChallenge(String(c1.headers['www-authenticate']));
  assert.ok(ch);
  const n = solvePow(ch.challenge, ch.difficulty);
  const v = await get({
    ':path': '/.rempart/verify',
    ':method': 'POST',
    ...base,
    'rempart-proof': `${ch.challenge}:${n}:5`,
  });
  assert.equal(v.status, 200);
  const token = String(v.headers['rempart-clearance']);
  const ok = await get({ ':path': '/api/x', ...base, 'rempart-clearance': token });
  assert.equal(ok.status, 200);
  assert.equal(ok.body, 'origin');
  const page = await get({ ':path': '/home', 'user-agent': 'b', accept: 'text/html' });
  assert.equal(page.status, 403);
  assert.equal(page.headers['content-security-policy'], CSP);
  assert.match(page.body, /<progress id="pg"/);
});

test('over HTTP/2: a small form POST is kept in the page', async () => {
  const page = await get(
    {
      ':path': '/transfer',
      ':method': 'POST',
      'user-agent': 'b',
      accept: 'text/html',
      'content-type': 'application/x-www-form-urlencoded',
    },
    'to=FR76&amount=10',
  );
  assert.equal(page.status, 403);
  assert.match(page.body, /<input type="hidden" name="to" value="FR76">/);
  assert.match(page.body, /<input type="hidden" name="amount" value="10">/);
});
