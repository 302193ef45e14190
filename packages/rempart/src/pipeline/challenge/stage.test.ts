import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createManualClock } from '../../core/clock.ts';
import { readCookie } from '../../core/cookie.ts';
import type { Deps, Mode, RequestCtx } from '../types.ts';
import { defaultChallengeConfig } from './config.ts';
import { createChallenge, safeBack } from './stage.ts';
import { createSigner, KIND_CLEARANCE } from './token.ts';

// The stage with a hand-moved clock: cookie reading, the verified-token cache, budget, expiry, rotation.

const A = 'stage-key-a-0123456789abcdef0123456789';
const B = 'stage-key-b-0123456789abcdef0123456789';
const who = { prefix: '198.51.100.0/24', userAgent: 'Firefox/140' };

function setup(mode: Mode = 'under-attack', over = {}) {
  const clock = createManualClock(1_700_000_000_000);
  const cfg = defaultChallengeConfig({ secret: A, clearance: { ttl_s: 60, budget: 3 }, ...over });
  const m = createChallenge(cfg, clock);
  const deps = { clock, snapshot: { mode, pressure: 0, pinned: false, since: 0 } } as unknown as Deps;
  const nowS = () => Math.floor(clock.now() / 1000);
  const ctx = (cookie?: string, extra: Partial<RequestCtx> = {}): RequestCtx => ({
    id: 't',
    startedAt: 0,
    startedMono: 0,
    method: 'GET',
    path: '/',
    query: '',
    headers: { 'user-agent': who.userAgent, ...(cookie ? { cookie: `a=1; __rempart=${cookie}; b=2` } : {}) },
    httpVersion: '1.1',
    tls: true,
    peerIp: '198.51.100.9',
    client: { ip: '198.51.100.9', prefix: who.prefix },
    routeClass: 'critical',
    trace: [],
    ...extra,
  });
  return { clock, m, deps, ctx, nowS, cfg };
}

test('valid cookie passes until its budget is spent, then a new challenge names the reason', () => {
  const { m, deps, ctx, nowS } = setup();
  const tok = createSigner(A).sign(KIND_CLEARANCE, nowS() + 60, 3, who);
  const kinds = [1, 2, 3, 4].map(() => m.stage.run(ctx(tok), deps));
  assert.deepEqual(
    kinds.map((v) => ('kind' in v ? v.kind : '')),
    ['pass', 'pass', 'pass', 'challenge'],
  );
  const last = kinds[3];
  assert.equal('rule' in last ? last.rule : '', 'challenge/clearance-spent');
});

test('a cached verification still honours expiry and binding', () => {
  const { m, deps, ctx, nowS, clock } = setup();
  const tok = createSigner(A).sign(KIND_CLEARANCE, nowS() + 60, 100, who);
  assert.equal((m.stage.run(ctx(tok), deps) as { kind: string }).kind, 'pass');
  const otherUa = ctx(tok, { headers: { 'user-agent': 'curl/8', cookie: `__rempart=${tok}` } });
  assert.equal((m.stage.run(otherUa, deps) as { kind: string }).kind, 'challenge');
  const otherNet = ctx(tok, { client: { ip: '192.0.2.1', prefix: '192.0.2.0/24' } });
  assert.equal((m.stage.run(otherNet, deps) as { kind: string }).kind, 'challenge');
  clock.advance(61_000);
  assert.equal((m.stage.run(ctx(tok), deps) as { kind: string }).kind, 'challenge');
});

test('rotation: previous key accepted, then retired at once even for cached tokens', () => {
  const { m, deps, ctx, nowS, cfg } = setup();
  const tok = createSigner(A).sign(KIND_CLEARANCE, nowS() + 60, 100, who);
  assert.equal((m.stage.run(ctx(tok), deps) as { kind: string }).kind, 'pass');
  m.reconfigure({ ...cfg, secret: B, previous_secret: A });
  assert.equal((m.stage.run(ctx(tok), deps) as { kind: string }).kind, 'pass');
  m.reconfigure({ ...cfg, secret: B, previous_secret: undefined });
  assert.equal((m.stage.run(ctx(tok), deps) as { kind: string }).kind, 'challenge');
});

test('allow-listed clients and a disabled section are never challenged; a high score is blocked', () => {
  const { m, deps, ctx, cfg } = setup();
  assert.equal((m.stage.run(ctx(undefined, { allowListed: true, score: 1 }), deps) as { kind: string }).kind, 'pass');
  assert.equal((m.stage.run(ctx(undefined, { score: 0.99 }), deps) as { kind: string }).kind, 'block');
  m.reconfigure({ ...cfg, enabled: false });
  assert.equal((m.stage.run(ctx(), deps) as { kind: string }).kind, 'pass');
});

test('cookie parsing finds the exact name only', () => {
  assert.equal(readCookie('x__rempart=no; __rempart=yes', '__rempart='), 'yes');
  assert.equal(readCookie('__rempart=first', '__rempart='), 'first');
  assert.equal(readCookie('a=b', '__rempart='), undefined);
});

test('return paths stay on this site', () => {
  for (const [inp, out] of [
    ['/a?b=1', '/a?b=1'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['/a b', '/'],
    [null, '/'],
  ] as const) {
    assert.equal(safeBack(inp), out, String(inp));
  }
});

test('behind a trusted proxy, the endpoint checks the proof against the forwarded client, as the stage did', async () => {
  const { compilePolicy } = await import('../../config/compile.ts');
  const { configSchema } = await import('../../config/schema.ts');
  const { solve } = await import('./pow.ts');
  const policy = compilePolicy(
    configSchema.parse({
      listeners: [{ name: 'l', port: 0 }],
      admin: { token: 'admin-token-0123456789' },
      upstreams: [{ name: 'u', url: 'http://127.0.0.1:9' }],
      trusted_proxies: ['10.0.0.0/8'],
    }),
  );
  const clock = createManualClock(1_700_000_000_000);
  const m = createChallenge(defaultChallengeConfig({ secret: A, difficulty: { base: 4, max: 4 } }), clock);
  const deps = {
    clock,
    policy,
    snapshot: { mode: 'under-attack', pressure: 0, pinned: false, since: 0 },
  } as unknown as Deps;
  const headers = { 'user-agent': 'app', accept: 'application/json', 'x-forwarded-for': '203.0.113.50' };
  const base = () => ({
    id: 'p',
    startedAt: 0,
    startedMono: 0,
    query: '',
    httpVersion: '1.1' as const,
    tls: false,
    peerIp: '10.1.2.3',
    trace: [],
  });
  // The pipeline ran identity (forwarded client 203.0.113.0/24), then rendered the challenge.
  const challenged: RequestCtx = {
    ...base(),
    method: 'GET',
    path: '/api',
    headers,
    client: { ip: '203.0.113.50', prefix: '203.0.113.0/24' },
  };
  let body = '';
  const res = { writeHead: () => res, end: (b: string) => (body = b), headersSent: false } as never;
  m.renderChallenge(res, challenged, { kind: 'challenge', rule: 'r', difficulty: 4 });
  const c = JSON.parse(body).challenge as string;
  // The endpoint gets a fresh ctx without client: it must find the same identity through the proxy header.
  let status = 0;
  const out = {
    writeHead: (s: number) => {
      status = s;
      return out;
    },
    end: () => {},
    headersSent: false,
  } as never;
  const proof = `${c}:${solve(c, 4)}`;
  const verifyCtx: RequestCtx = {
    ...base(),
    method: 'POST',
    path: '/.rempart/verify',
    headers: { ...headers, 'rempart-proof': proof },
  };
  assert.equal(m.handleChallengeEndpoint({} as never, out, verifyCtx, deps), true);
  assert.equal(status, 200);
});

test("the mode's class-wide challenges wait until the detector engages the mode's measures", () => {
  const { m, deps, ctx } = setup();
  const kind = (mode: Mode, engaged: boolean | undefined) => {
    deps.snapshot = { mode, pressure: 0, pinned: false, engaged, since: 0 };
    return (m.stage.run(ctx(), deps) as { kind: string }).kind;
  };
  assert.equal(kind('under-attack', false), 'pass', 'origin coping: per-shape actions alone');
  assert.equal(kind('under-attack', true), 'challenge');
  assert.equal(kind('under-attack', undefined), 'challenge', 'a publisher that does not gate');
});
