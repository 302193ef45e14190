import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClearedFetch, PROOF_HEADER, parseChallenge, solvePow } from '../../../client/solve.ts';
import { defaultChallengeConfig } from './config.ts';
import { checkProof } from './pow.ts';
import { type Reply, send, startTestGateway, type TestGateway } from './test-gateway.ts';

// What clients see over real sockets: API clients, a no-JavaScript person, and a flood that runs no JavaScript.

const UA = 'poste-app/1.0';
let gw: TestGateway;
before(async () => {
  gw = await startTestGateway(
    defaultChallengeConfig({
      secret: 'test-secret-0123456789abcdef0123456789',
      nojs_wait_s: 1,
      difficulty: { base: 8, max: 10 },
    }),
  );
});
after(() => gw.close());

test('an API client gets a 401 JSON challenge with WWW-Authenticate, never HTML, never 200', async () => {
  const r = await send(`${gw.url}/api/accounts`, { headers: { accept: 'application/json', 'user-agent': UA } });
  assert.equal(r.status, 401);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const www = String(r.headers['www-authenticate']);
  const c = parseChallenge(www);
  assert.ok(c, www);
  const j = JSON.parse(r.body);
  assert.equal(j.challenge, c.challenge);
  assert.equal(j.difficulty, c.difficulty);
  assert.ok(j.decision_id);
  assert.equal(r.headers['x-rempart-decision'], j.decision_id);
});

test('the Node client solves once, gets a clearance and reuses it', async () => {
  const before = gw.origin.hits;
  let solves = 0;
  const f = createClearedFetch({ origin: gw.url, headers: { 'user-agent': UA }, onSolve: () => solves++ });
  const r1 = await f('/api/accounts');
  assert.equal(r1.status, 200);
  assert.deepEqual(await r1.json(), { origin: true, path: '/api/accounts' });
  for (let i = 0; i < 5; i++) {
    const r = await f(`/api/accounts/${i}`);
    assert.equal(r.status, 200);
    await r.arrayBuffer();
  }
  assert.equal(solves, 1);
  assert.equal(gw.origin.hits - before, 6);
  // The clearance is bound to the User-Agent: another client cannot borrow it.
  const stolen = await send(`${gw.url}/api/accounts`, {
    headers: { accept: 'application/json', 'user-agent': 'other', 'rempart-clearance': f.clearance() ?? '' },
  });
  assert.equal(stolen.status, 401);
});

test('a proof is single-use and a wrong proof is refused', async () => {
  const r = await send(`${gw.url}/api/x`, { headers: { accept: 'application/json', 'user-agent': UA } });
  const c = parseChallenge(String(r.headers['www-authenticate']));
  assert.ok(c);
  const n = solvePow(c.challenge, c.difficulty);
  const h = { accept: 'application/json', 'user-agent': UA };
  let wrong = Number(n) + 1;
  while (checkProof(c.challenge, String(wrong), c.difficulty)) wrong++;
  const bad = await send(`${gw.url}/.rempart/verify`, {
    method: 'POST',
    headers: { ...h, [PROOF_HEADER]: `${c.challenge}:${wrong}` },
  });
  assert.equal(bad.status, 403);
  const ok = await send(`${gw.url}/.rempart/verify`, {
    method: 'POST',
    headers: { ...h, [PROOF_HEADER]: `${c.challenge}:${n}` },
  });
  assert.equal(ok.status, 200);
  assert.equal(typeof ok.headers['rempart-clearance'], 'string');
  assert.match(String(ok.headers['set-cookie']), /HttpOnly; SameSite=Lax; Secure/);
  const replay = await send(`${gw.url}/.rempart/verify`, {
    method: 'POST',
    headers: { ...h, [PROOF_HEADER]: `${c.challenge}:${n}` },
  });
  assert.equal(replay.status, 403);
  assert.match(replay.body, /challenge\/replay/);
});

test("no-JS path: the page's challenge works at /wait only after the wait, once, for the same client", async () => {
  const h = { accept: 'text/html', 'user-agent': 'Lynx/2.9', 'accept-language': 'en' };
  const page = await send(`${gw.url}/account?tab=1`, { headers: h });
  assert.equal(page.status, 403);
  assert.match(page.body, /<html lang="en">/);
  const m = /<meta http-equiv="refresh" content="1;url=([^"]+)">/.exec(page.body);
  assert.ok(m, 'meta refresh present');
  const wait = m[1].replaceAll('&amp;', '&');
  const early = await send(`${gw.url}${wait}`, { headers: h });
  assert.equal(early.status, 429);
  const other = { ...h, 'user-agent': 'flood' };
  await new Promise((r) => setTimeout(r, 2_100));
  assert.equal((await send(`${gw.url}${wait}`, { headers: other })).status, 403);
  const done = await send(`${gw.url}${wait}`, { headers: h });
  assert.equal(done.status, 303);
  assert.equal(done.headers.location, '/account?tab=1');
  const cookie = String(done.headers['set-cookie']).split(';')[0];
  assert.equal((await send(`${gw.url}${wait}`, { headers: h })).status, 403, 'single-use');
  const landed = await send(`${gw.url}/account?tab=1`, { headers: { ...h, cookie } });
  assert.equal(landed.status, 200);
  assert.match(landed.body, /origin page \/account\?tab=1/);
});

test('an open redirect through the return parameter is impossible', async () => {
  const h = { accept: 'text/html', 'user-agent': 'Lynx/2.9' };
  const page = await send(`${gw.url}/x`, { headers: h });
  const m = /url=\/\.rempart\/wait\?t=([A-Za-z0-9_-]+)/.exec(page.body);
  assert.ok(m);
  await new Promise((r) => setTimeout(r, 2_100));
  const r = await send(`${gw.url}/.rempart/wait?t=${m[1]}&r=${encodeURIComponent('//evil.example/')}`, { headers: h });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/');
});

test('a plain HTTP flood without JavaScript from 60 addresses never reaches the origin', async () => {
  const before = gw.origin.hits;
  const statuses = new Map<number, number>();
  for (let round = 0; round < 3; round++) {
    const batch: Promise<Reply>[] = [];
    for (let i = 0; i < 60; i++) {
      const from = `127.0.${10 + (i >> 4)}.${(i & 15) + 1}`;
      const accept = i % 2 === 0 ? 'text/html' : '*/*';
      // A flood that replays what it saw (cookies, refresh links) without waiting or solving.
      batch.push(send(`${gw.url}/login?i=${i}`, { from, headers: { accept, 'user-agent': 'Mozilla/5.0 flood' } }));
    }
    for (const r of await Promise.all(batch)) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  }
  assert.equal(gw.origin.hits - before, 0);
  assert.deepEqual([...statuses.keys()].sort(), [401, 403]);
});

test('static assets and normal mode pass without a challenge', async () => {
  const h = { accept: 'text/html', 'user-agent': 'x' };
  assert.equal((await send(`${gw.url}/static/app.css`, { headers: h })).status, 200);
  gw.setMode('normal');
  try {
    assert.equal((await send(`${gw.url}/account`, { headers: h })).status, 200);
  } finally {
    gw.setMode('under-attack');
  }
});

test('worker asset is served; unknown endpoints are 404 with a decision id', async () => {
  const w = await send(`${gw.url}/.rempart/worker.js`);
  assert.equal(w.status, 200);
  assert.match(String(w.headers['content-type']), /javascript/);
  const n = await send(`${gw.url}/.rempart/nothing`);
  assert.equal(n.status, 404);
  assert.ok(n.headers['x-rempart-decision']);
});

test('the HTML page carries the same challenge machine-readable, answerable without running its script', async () => {
  const h = { accept: 'text/html', 'user-agent': UA };
  const page = await send(`${gw.url}/account`, { headers: h });
  assert.equal(page.status, 403);
  const c = parseChallenge(String(page.headers['www-authenticate']));
  assert.ok(c, 'www-authenticate on the page');
  assert.match(page.body, new RegExp(`data-c="${c.challenge}"`), 'the page script solves the same challenge');
  const n = solvePow(c.challenge, c.difficulty);
  const ok = await send(`${gw.url}${c.verify}`, {
    method: 'POST',
    headers: { ...h, accept: 'application/json', [PROOF_HEADER]: `${c.challenge}:${n}` },
  });
  assert.equal(ok.status, 200);
  const clearance = String(ok.headers['rempart-clearance']);
  const back = await send(`${gw.url}/account`, { headers: { ...h, 'rempart-clearance': clearance } });
  assert.equal(back.status, 200);
});
