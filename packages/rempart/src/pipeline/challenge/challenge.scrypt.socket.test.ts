import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClearedFetch, PROOF_HEADER, parseChallenge, solvePow, solveScrypt } from '../../../client/solve.ts';
import { createManualClock } from '../../core/clock.ts';
import type { Deps, RequestCtx } from '../types.ts';
import { defaultChallengeConfig } from './config.ts';
import { checkProof, leadingZeroBits } from './pow.ts';
import { type ScryptSpec, scryptHash } from './proof.ts';
import { createChallenge } from './stage.ts';
import { send, startTestGateway, type TestGateway } from './test-gateway.ts';

// `challenge.proof: scrypt` over real sockets: the challenge names its parameters, the Node client solves it, a
// SHA-256 answer or edited parameters are refused, and the verify endpoint bounds its scrypt checks.

const SECRET = 'scrypt-test-secret-0123456789abcdef0123';
const UA = 'poste-app/1.0';
const H = { accept: 'application/json', 'user-agent': UA };
const SCRYPT = { n: 1024, r: 8, p: 1, base: 3, max: 4 } as const;
let gw: TestGateway;
before(async () => {
  gw = await startTestGateway(defaultChallengeConfig({ secret: SECRET, proof: 'scrypt', scrypt: SCRYPT }));
});
after(() => gw.close());

async function challenge() {
  const r = await send(`${gw.url}/api/accounts`, { headers: H });
  assert.equal(r.status, 401);
  const c = parseChallenge(String(r.headers['www-authenticate']));
  assert.ok(c?.scrypt, String(r.headers['www-authenticate']));
  return { c, json: JSON.parse(r.body), spec: { alg: 'scrypt', bits: c.difficulty, ...c.scrypt } as ScryptSpec };
}

const isScryptProof = async (c: string, n: number, spec: ScryptSpec) =>
  leadingZeroBits(await scryptHash(c, String(n), spec)) >= spec.bits;

const verify = (proof: string) =>
  send(`${gw.url}/.rempart/verify`, { method: 'POST', headers: { ...H, [PROOF_HEADER]: proof } });

test('the JSON challenge names scrypt and its parameters; the Node client solves it and keeps its clearance', async () => {
  const { c, json } = await challenge();
  assert.equal(c.algorithm, 'scrypt');
  assert.deepEqual(c.scrypt, { n: 1024, r: 8, p: 1 });
  assert.equal(json.algorithm, 'scrypt-leading-zero-bits');
  assert.deepEqual(json.scrypt, { n: 1024, r: 8, p: 1 });
  assert.ok(c.difficulty >= 1 && c.difficulty <= SCRYPT.max, `difficulty ${c.difficulty}`);
  const before = gw.origin.hits;
  let solves = 0;
  const f = createClearedFetch({ origin: gw.url, headers: { 'user-agent': UA }, onSolve: () => solves++ });
  for (let i = 0; i < 3; i++) {
    const r = await f(`/api/accounts/${i}`);
    assert.equal(r.status, 200);
    await r.arrayBuffer();
  }
  assert.equal(solves, 1);
  assert.equal(gw.origin.hits - before, 3);
});

test('downgrade refused: a SHA-256 answer to a scrypt challenge fails, so do edited parameters', async () => {
  const { c, spec } = await challenge();
  // A counter that satisfies SHA-256 at the asked bits but not scrypt.
  let n = 0;
  while (!checkProof(c.challenge, String(n), c.difficulty) || (await isScryptProof(c.challenge, n, spec))) n++;
  const downgraded = await verify(`${c.challenge}:${n}`);
  assert.equal(downgraded.status, 403);
  assert.match(downgraded.body, /challenge\/bad-proof/);
  // Lowering N (or the bits) means editing the signed aux field: the MAC no longer matches.
  const { c: c2 } = await challenge();
  const raw = Buffer.from(c2.challenge, 'base64url');
  raw[6] = 0; // log2(N) byte → 0: "SHA-256"
  const forged = raw.toString('base64url');
  const r = await verify(`${forged}:${solvePow(forged, c2.difficulty, 1 << 24)}`);
  assert.equal(r.status, 403);
  assert.match(r.body, /challenge\/bad-challenge-mac/);
});

test('a wrong scrypt answer spends the challenge: one check per challenge, then replay', async () => {
  const { c, spec } = await challenge();
  const good = await solveScrypt(c.challenge, c.difficulty, spec);
  let wrong = Number(good) + 1;
  while (await isScryptProof(c.challenge, wrong, spec)) wrong++;
  assert.equal((await verify(`${c.challenge}:${wrong}`)).status, 403);
  const again = await verify(`${c.challenge}:${good}`);
  assert.equal(again.status, 403);
  assert.match(again.body, /challenge\/replay/);
});

test('verify checks signature, expiry and single use before any scrypt, and answers 503 over its bound', async () => {
  const clock = createManualClock(1_700_000_000_000);
  const m = createChallenge(
    defaultChallengeConfig({ secret: SECRET, proof: 'scrypt', scrypt: { ...SCRYPT, n: 16384, max_verifying: 1 } }),
    clock,
  );
  const deps = { clock, snapshot: { mode: 'under-attack', pressure: 0, pinned: true, since: 0 } } as unknown as Deps;
  const ctx = (extra: Record<string, string> = {}): RequestCtx => ({
    id: `d${Math.random()}`,
    startedAt: 0,
    startedMono: 0,
    method: 'POST',
    path: '/.rempart/verify',
    query: '',
    headers: { ...H, ...extra },
    httpVersion: '1.1',
    tls: false,
    peerIp: '198.51.100.7',
    client: { ip: '198.51.100.7', prefix: '198.51.100.0/24' },
    trace: [],
  });
  const reply = () => {
    const r = { status: 0, headers: {} as Record<string, unknown>, body: '', ended: false };
    const res = {
      headersSent: false,
      writeHead(s: number, h: Record<string, unknown>) {
        r.status = s;
        r.headers = h;
        return res;
      },
      end(b?: string) {
        r.body = b ?? '';
        r.ended = true;
      },
    };
    return { r, res: res as never };
  };
  const issue = () => {
    const { r, res } = reply();
    m.renderChallenge(res, { ...ctx(), method: 'GET', path: '/api' }, { kind: 'challenge', rule: 't', difficulty: 3 });
    return JSON.parse(r.body).challenge as string;
  };
  const post = (proof: string) => {
    const { r, res } = reply();
    m.handleChallengeEndpoint({} as never, res, ctx({ [PROOF_HEADER]: proof }), deps);
    return r;
  };
  const first = issue();
  const second = issue();
  // Occupies the only slot with a slow (N = 2^14) check.
  const busy = post(`${first}:1`);
  assert.equal(busy.ended, false, 'a genuine challenge gets an asynchronous scrypt check');
  // Answered synchronously, i.e. without scrypt, and not 503: the cheap checks come first.
  const forged = `${second.slice(0, 30)}${second[30] === 'A' ? 'B' : 'A'}${second.slice(31)}`;
  const bad = post(`${forged}:1`);
  assert.equal(bad.ended, true);
  assert.equal(bad.status, 403);
  const over = post(`${second}:1`);
  assert.equal(over.ended, true);
  assert.equal(over.status, 503);
  assert.equal(over.headers['retry-after'], 1);
  assert.ok(over.headers['x-rempart-decision']);
  const body = JSON.parse(over.body);
  assert.equal(body.rule, 'challenge/verify-busy');
  assert.ok(body.message_fr && body.error, over.body);
  while (!busy.ended) await new Promise((r) => setTimeout(r, 5));
  // The 503 left `second` unspent: it gets its check now.
  const retried = post(`${second}:1`);
  assert.equal(retried.ended, false);
  while (!retried.ended) await new Promise((r) => setTimeout(r, 5));
  assert.ok(retried.status === 200 || /challenge\/bad-proof/.test(retried.body), retried.body); // checked, not a replay
  // Replay and expiry are refused without a check.
  const replay = post(`${second}:1`);
  assert.equal(replay.ended, true);
  assert.match(replay.body, /challenge\/replay/);
  const late = issue();
  clock.advance(301_000);
  const expired = post(`${late}:1`);
  assert.equal(expired.ended, true);
  assert.match(expired.body, /bad-challenge-expired/);
});
