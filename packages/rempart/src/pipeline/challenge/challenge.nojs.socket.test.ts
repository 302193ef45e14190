import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PROOF_HEADER, parseChallenge, solvePow } from '../../../client/solve.ts';
import { createManualClock } from '../../core/clock.ts';
import { defaultChallengeConfig } from './config.ts';
import { send, startTestGateway, type TestGateway } from './test-gateway.ts';

// The no-JavaScript way out of a page, over real sockets with a hand-moved clock: the page's challenge token is its
// own no-JS ticket. Its not-before is signed in it, and one challenge is spent once, by a proof or by the wait.

const UA = 'Lynx/2.9';
const PAGE = { accept: 'text/html', 'user-agent': UA, 'accept-language': 'en' };
const cfg = defaultChallengeConfig({
  secret: 'nojs-test-secret-0123456789abcdef0123456',
  nojs_wait_s: 5,
  difficulty: { base: 8, max: 10 },
});
const clock = createManualClock();
let gw: TestGateway;
before(async () => {
  gw = await startTestGateway(cfg, { clock });
});
after(() => gw.close());

async function page(path = '/account?tab=1') {
  const r = await send(`${gw.url}${path}`, { headers: PAGE });
  assert.equal(r.status, 403);
  const challenge = /data-c="([A-Za-z0-9_-]+)"/.exec(r.body)?.[1];
  const refresh = /<meta http-equiv="refresh" content="(\d+);url=([^"]+)">/.exec(r.body);
  assert.ok(challenge && refresh, 'challenge and meta refresh in the page');
  const wait = refresh[2].replaceAll('&amp;', '&');
  assert.equal(new URL(wait, gw.url).searchParams.get('t'), challenge, 'the wait link carries the challenge itself');
  return { challenge, wait, waitS: Number(refresh[1]), www: parseChallenge(String(r.headers['www-authenticate'])) };
}

const verify = (c: string, n: string) =>
  send(`${gw.url}/.rempart/verify`, {
    method: 'POST',
    headers: { ...PAGE, accept: 'application/json', [PROOF_HEADER]: `${c}:${n}` },
  });

test('the challenge opens /wait only after its wait, once, for the same client', async () => {
  const p = await page();
  assert.equal(p.waitS, 5);
  clock.advance(4_000);
  const early = await send(`${gw.url}${p.wait}`, { headers: PAGE });
  assert.equal(early.status, 429);
  assert.match(early.body, /429/);
  assert.equal(early.headers['retry-after'], '1', 'the rest of the signed wait');
  assert.match(String(early.headers.refresh), /^1;url=\/\.rempart\/wait\?t=/);
  clock.advance(1_000);
  assert.equal((await send(`${gw.url}${p.wait}`, { headers: { ...PAGE, 'user-agent': 'flood' } })).status, 403);
  const done = await send(`${gw.url}${p.wait}`, { headers: PAGE });
  assert.equal(done.status, 303);
  assert.equal(done.headers.location, '/account?tab=1');
  const cookie = String(done.headers['set-cookie']).split(';')[0];
  const replay = await send(`${gw.url}${p.wait}`, { headers: { ...PAGE, accept: 'application/json' } });
  assert.equal(replay.status, 403, 'single use');
  assert.match(replay.body, /challenge\/replay/);
  const landed = await send(`${gw.url}/account?tab=1`, { headers: { ...PAGE, cookie } });
  assert.equal(landed.status, 200);
});

test('a challenge spent on /wait cannot also be spent on /verify', async () => {
  const p = await page('/a');
  assert.ok(p.www);
  clock.advance(5_000);
  assert.equal((await send(`${gw.url}${p.wait}`, { headers: PAGE })).status, 303);
  const r = await verify(p.challenge, solvePow(p.challenge, p.www.difficulty));
  assert.equal(r.status, 403);
  assert.match(r.body, /challenge\/replay/);
});

test('a challenge spent on /verify cannot also be spent on /wait', async () => {
  const p = await page('/b');
  assert.ok(p.www);
  const ok = await verify(p.challenge, solvePow(p.challenge, p.www.difficulty));
  assert.equal(ok.status, 200);
  clock.advance(5_000);
  const r = await send(`${gw.url}${p.wait}`, { headers: { ...PAGE, accept: 'application/json' } });
  assert.equal(r.status, 403);
  assert.match(r.body, /challenge\/replay/);
});

test('an early /wait leaves the challenge usable for a proof', async () => {
  const p = await page('/c');
  assert.ok(p.www);
  assert.equal((await send(`${gw.url}${p.wait}`, { headers: PAGE })).status, 429);
  assert.equal((await verify(p.challenge, solvePow(p.challenge, p.www.difficulty))).status, 200);
});

test('the wait signed into a challenge holds across a config reload, longer or shorter', async () => {
  const p = await page('/d');
  gw.challenge.reconfigure({ ...cfg, nojs_wait_s: 60 });
  try {
    const q = await page('/e');
    assert.equal(q.waitS, 60);
    clock.advance(5_000);
    assert.equal((await send(`${gw.url}${p.wait}`, { headers: PAGE })).status, 303, 'promised 5 s, still 5 s');
    gw.challenge.reconfigure({ ...cfg, nojs_wait_s: 1 });
    assert.equal((await send(`${gw.url}${q.wait}`, { headers: PAGE })).status, 429, 'promised 60 s, still 60 s');
    clock.advance(55_000);
    assert.equal((await send(`${gw.url}${q.wait}`, { headers: PAGE })).status, 303);
  } finally {
    gw.challenge.reconfigure(cfg);
  }
});

test('an API challenge (JSON) offers no no-JS path', async () => {
  const r = await send(`${gw.url}/api/x`, { headers: { ...PAGE, accept: 'application/json' } });
  assert.equal(r.status, 401);
  const { challenge } = JSON.parse(r.body) as { challenge: string };
  clock.advance(10_000);
  const w = await send(`${gw.url}/.rempart/wait?t=${challenge}&r=%2F`, {
    headers: { ...PAGE, accept: 'application/json' },
  });
  assert.equal(w.status, 403);
  assert.match(w.body, /challenge\/nojs-not-offered/);
  assert.equal((await verify(challenge, solvePow(challenge, 10))).status, 200, 'still good for a proof');
});

test('a forged or expired token at /wait is refused, and the genuine one is not spent by a forgery', async () => {
  const p = await page('/f');
  const q = await page('/g');
  const forged = `${p.challenge.slice(0, 20)}${p.challenge[20] === 'A' ? 'B' : 'A'}${p.challenge.slice(21)}`;
  clock.advance(5_000);
  const json = { ...PAGE, accept: 'application/json' };
  const bad = await send(`${gw.url}/.rempart/wait?t=${forged}&r=%2F`, { headers: json });
  assert.equal(bad.status, 403);
  assert.match(bad.body, /challenge\/nojs-bad-mac/);
  assert.equal((await send(`${gw.url}/.rempart/wait?t=nonsense&r=%2F`, { headers: PAGE })).status, 403);
  assert.equal((await send(`${gw.url}${p.wait}`, { headers: PAGE })).status, 303);
  clock.advance(cfg.challenge_ttl_s * 1000);
  const expired = await send(`${gw.url}${q.wait}`, { headers: json });
  assert.equal(expired.status, 403);
  assert.match(expired.body, /challenge\/nojs-bad-expired/);
});
