import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicy } from '../config/compile.ts';
import { configSchema } from '../config/schema.ts';
import { createManualClock } from '../core/clock.ts';
import { createMemoryStore } from '../state/memory-store.ts';
import type { Store } from '../state/store.ts';
import { newCtx } from './context.ts';
import { CORE_ORDER } from './order.ts';
import { matchRoute } from './route/compile.ts';
import { fullTrace, runPipeline } from './run.ts';
import type { Deps, RequestCtx, Verdict } from './types.ts';

// The core stages together, as the server runs them: Deps with a memory store and a policy compiled from a
// config object, fake requests in sequence, a clock moved by hand.

const base = {
  listeners: [{ name: 'public', port: 0 }],
  admin: { token: 'a-test-token-of-16+chars' },
  upstreams: [{ name: 'poste', url: 'http://127.0.0.1:9' }],
  trusted_proxies: ['10.0.0.0/8'],
  routes: [
    { name: 'login', match: { path_prefix: '/connexion', methods: ['POST'] }, class: 'critical' },
    { name: 'search', match: { path_prefix: '/recherche' }, class: 'bulk' },
  ],
  access: { allow: ['192.0.2.200'], deny: ['203.0.113.0/24'] },
  rate_limits: [
    { name: 'per-ip', key: ['ip'], rate: 1, burst: 2 },
    { name: 'search-prefix', key: ['prefix'], rate: 1, burst: 4, classes: ['bulk'] },
    { name: 'watch-ua', key: ['header:user-agent'], rate: 1, mode: 'dry-run' },
  ],
  distinct_limits: [
    {
      name: 'usernames-per-prefix',
      key: ['prefix'],
      count: 'form:username',
      limit: 3,
      window_s: 60,
      routes: ['login'],
    },
  ],
  auto_ban: { after_refusals: 3, window_s: 60, ttl_s: 300, scope: 'ip' },
};

function setup(overrides: Record<string, unknown> = {}, wrap?: (s: Store) => Store) {
  const clock = createManualClock();
  const mem = createMemoryStore({ maxEntries: 10_000 });
  const deps: Deps = {
    clock,
    store: wrap ? wrap(mem) : mem,
    policy: compilePolicy(configSchema.parse({ ...base, ...overrides })),
    snapshot: { mode: 'normal', pressure: 0, pinned: false, since: 0 },
  };
  const send = async (
    ip: string,
    o: { method?: string; url?: string; headers?: Record<string, string>; form?: Record<string, string> } = {},
  ): Promise<{ v: Verdict; ctx: RequestCtx }> => {
    const ctx = newCtx(
      { method: o.method ?? 'GET', url: o.url ?? '/', headers: o.headers ?? {}, httpVersion: '1.1' },
      { peerIp: ip, tls: false },
      clock,
    );
    if (o.form) ctx.form = o.form;
    matchRoute(ctx, deps.policy.routes);
    return { v: await runPipeline(ctx, deps, CORE_ORDER), ctx };
  };
  const rule = async (ip: string, o?: Parameters<typeof send>[1]) => {
    const { v } = await send(ip, o);
    return v.kind === 'pass' ? 'pass' : v.kind === 'challenge' ? `challenge ${v.rule}` : `${v.status} ${v.rule}`;
  };
  return { clock, deps, mem, send, rule };
}

/** A remote-like store: every stateful answer is a promise (as Redis would give). */
function asyncStore(s: Store): Store {
  return {
    ...s,
    consumeRate: async (...a) => s.consumeRate(...a),
    addDistinct: async (...a) => s.addDistinct(...a),
    countEvent: async (...a) => s.countEvent(...a),
  };
}

for (const [label, wrap] of [
  ['memory store', undefined],
  ['async store', asyncStore],
] as const) {
  describe(`core pipeline (${label})`, () => {
    it('rate limit per IP: burst, 429 with Retry-After, other IPs unaffected, refill with time', async () => {
      const { rule, send, clock } = setup({}, wrap);
      for (let i = 0; i < 3; i++) assert.equal(await rule('198.51.100.1'), 'pass', `request ${i}`);
      const { v } = await send('198.51.100.1');
      assert.deepEqual(v, { kind: 'limit', rule: 'ratelimit/per-ip', status: 429, retryAfterS: 1 });
      assert.equal(await rule('198.51.100.2'), 'pass');
      clock.advance(1000);
      assert.equal(await rule('198.51.100.1'), 'pass');
      assert.equal(await rule('198.51.100.1'), '429 ratelimit/per-ip');
    });

    it('rate limit per prefix on bulk routes: many IPs of one /24 share a bucket', async () => {
      const { rule } = setup({}, wrap);
      const got: string[] = [];
      for (let i = 1; i <= 6; i++) got.push(await rule(`198.51.100.${i}`, { url: `/recherche?q=${i}` }));
      assert.deepEqual(got, ['pass', 'pass', 'pass', 'pass', 'pass', '429 ratelimit/search-prefix']);
      assert.equal(await rule('198.51.101.1', { url: '/recherche?q=x' }), 'pass', 'another /24');
      assert.equal(await rule('198.51.100.9', { url: '/' }), 'pass', 'the prefix rule is scoped to bulk routes');
    });

    it('distinct usernames per prefix: the 4th new name is refused, known names still pass', async () => {
      const { rule } = setup({ rate_limits: [] }, wrap);
      const login = (ip: string, username: string) =>
        rule(ip, { method: 'POST', url: '/connexion', form: { username } });
      for (const [i, u] of ['alice', 'bob', 'carol'].entries())
        assert.equal(await login(`198.51.100.${i + 1}`, u), 'pass');
      assert.equal(await login('198.51.100.9', 'dave'), '429 ratelimit/usernames-per-prefix');
      assert.equal(await login('198.51.100.9', 'alice'), 'pass');
      assert.equal(await login('198.51.101.9', 'dave'), 'pass', 'another /24');
      assert.equal(
        await rule('198.51.100.9', { method: 'POST', url: '/connexion' }),
        'pass',
        'no username: rule does not apply',
      );
    });

    it('deny CIDR → 403; allow-listed clients skip limits', async () => {
      const { rule, send } = setup({}, wrap);
      assert.equal(await rule('203.0.113.5'), '403 access/deny-cidr');
      for (let i = 0; i < 20; i++) assert.equal(await rule('192.0.2.200'), 'pass');
      const { ctx } = await send('192.0.2.200');
      assert.equal(ctx.allowListed, true);
    });

    it('manual bans on IP and prefix, with TTL expiry', async () => {
      const { rule, deps, clock } = setup({}, wrap);
      const now = clock.now();
      await deps.store.ban({
        target: '198.51.100.7',
        rule: 'manual',
        reason: 't',
        createdAt: now,
        expiresAt: now + 10_000,
      });
      await deps.store.ban({
        target: '198.18.0.0/24',
        rule: 'manual',
        reason: 't',
        createdAt: now,
        expiresAt: now + 20_000,
      });
      assert.equal(await rule('198.51.100.7'), '403 ban/manual');
      assert.equal(await rule('198.51.100.8'), 'pass');
      assert.equal(await rule('198.18.0.77'), '403 ban/manual', 'prefix ban');
      clock.advance(10_000);
      assert.equal(await rule('198.51.100.7'), 'pass', 'IP ban expired');
      assert.equal(await rule('198.18.0.77'), '403 ban/manual');
      clock.advance(10_000);
      assert.equal(await rule('198.18.0.77'), 'pass', 'prefix ban expired');
    });

    it('auto-ban after more than after_refusals refusals, lifted after ttl_s', async () => {
      const { rule, clock, deps } = setup({}, wrap);
      const got: string[] = [];
      for (let i = 0; i < 8; i++) got.push(await rule('198.51.100.66'));
      await new Promise((r) => setImmediate(r)); // async stores write the ban without delaying the 429
      got.push(await rule('198.51.100.66'));
      assert.deepEqual(got.slice(0, 3), ['pass', 'pass', 'pass']);
      assert.deepEqual(got.slice(3, 7), Array(4).fill('429 ratelimit/per-ip'));
      assert.equal(got.at(-1), '403 ban/auto');
      assert.equal(deps.store.listBans(clock.now())[0]?.target, '198.51.100.66');
      assert.equal(await rule('198.51.100.67'), 'pass', 'scope ip: the neighbour is not banned');
      clock.advance(300_000);
      assert.equal(await rule('198.51.100.66'), 'pass');
    });

    it('a client banned again after its ban expired gets twice the ban', async () => {
      const { rule, clock, deps } = setup({}, wrap);
      const flood = async () => {
        for (let i = 0; i < 8; i++) await rule('198.51.100.70');
        await new Promise((r) => setImmediate(r));
        const ban = deps.store.listBans(clock.now()).find((b) => b.target === '198.51.100.70');
        assert.ok(ban, 'banned');
        return (ban.expiresAt - clock.now()) / 1000;
      };
      assert.equal(await flood(), 300);
      clock.advance(301_000);
      assert.equal(await rule('198.51.100.70'), 'pass', 'the first ban is over');
      clock.advance(60_000); // a fresh refusal window
      assert.equal(await flood(), 600);
    });

    it('auto-ban with prefix scope bans the /24', async () => {
      const { rule } = setup({ auto_ban: { after_refusals: 1, window_s: 60, ttl_s: 60, scope: 'prefix' } }, wrap);
      for (let i = 0; i < 5; i++) await rule('198.51.100.66');
      await new Promise((r) => setImmediate(r));
      assert.equal(await rule('198.51.100.99'), '403 ban/auto');
    });

    it('dry-run never blocks but is traced (rules and auto-ban)', async () => {
      const { send, deps, clock } = setup(
        {
          rate_limits: [
            { name: 'per-ip', key: ['ip'], rate: 1, mode: 'dry-run' },
            { name: 'watch-ua', key: ['header:user-agent'], rate: 1, mode: 'dry-run' },
          ],
          auto_ban: { after_refusals: 1, window_s: 60, ttl_s: 60, mode: 'dry-run' },
        },
        wrap,
      );
      let last: RequestCtx | undefined;
      for (let i = 0; i < 10; i++) {
        const { v, ctx } = await send('198.51.100.5', { headers: { 'user-agent': 'bot' } });
        assert.equal(v.kind, 'pass');
        last = ctx;
      }
      const lines = last?.trace.filter((t) => t.dryRun) ?? [];
      assert.deepEqual(
        lines.map((t) => [t.stage, t.rule, t.dryRun]),
        [
          ['ratelimit', 'ratelimit/per-ip', 'limit'],
          ['ratelimit', 'ratelimit/watch-ua', 'limit'],
        ],
      );
      assert.equal(deps.store.listBans(clock.now()).length, 0, 'dry-run rules do not feed auto-ban');
    });

    it('client identity: XFF honoured from a trusted proxy only', async () => {
      const { send } = setup({}, wrap);
      const viaProxy = await send('10.0.0.1', { headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.40' } });
      assert.deepEqual(viaProxy.ctx.client, { ip: '198.51.100.40', prefix: '198.51.100.0/24' });
      const spoof = await send('198.51.100.41', { headers: { 'x-forwarded-for': '192.0.2.200' } });
      assert.equal(spoof.ctx.client?.ip, '198.51.100.41');
      assert.equal(spoof.ctx.allowListed, undefined, 'a spoofed allow-listed address gives nothing');
      const denied = await send('10.0.0.1', { headers: { 'x-forwarded-for': '203.0.113.9' } });
      assert.equal(denied.v.kind, 'block', 'deny applies to the real client behind the proxy');
    });

    it('trace: one line per stage on a pass', async () => {
      const { send } = setup({}, wrap);
      const { ctx } = await send('198.51.100.3');
      assert.deepEqual(ctx.trace, [], 'no rule matched: nothing written');
      assert.deepEqual(
        fullTrace(ctx).map((t) => t.stage),
        ['identity', 'access', 'ban', 'ratelimit'],
      );
    });
  });
}

describe('detection modes scale allowances (detect.modes.<mode>.limit_multiplier)', () => {
  it('under-attack halves rate and burst by default; normal keeps them', async () => {
    const { rule, deps, clock } = setup();
    deps.snapshot = { mode: 'under-attack', pressure: 1, pinned: false, since: 0 };
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push(await rule('198.51.100.1'));
    assert.deepEqual(got, ['pass', 'pass', '429 ratelimit/per-ip'], 'burst 2 → 1');
    clock.advance(1000);
    assert.equal(await rule('198.51.100.1'), '429 ratelimit/per-ip', 'rate 1/s → 0.5/s');
    clock.advance(1000);
    assert.equal(await rule('198.51.100.1'), 'pass');
    deps.snapshot = { mode: 'normal', pressure: 0, pinned: false, since: 0 };
    const normal: string[] = [];
    for (let i = 0; i < 4; i++) normal.push(await rule('198.51.100.2'));
    assert.deepEqual(normal, ['pass', 'pass', 'pass', '429 ratelimit/per-ip']);
  });

  it('an operator multiplier of 1 keeps limits as configured in every mode', async () => {
    const { rule, deps } = setup({ detect: { modes: { under_attack: { limit_multiplier: 1 } } } });
    deps.snapshot = { mode: 'under-attack', pressure: 1, pinned: false, since: 0 };
    const got: string[] = [];
    for (let i = 0; i < 4; i++) got.push(await rule('198.51.100.1'));
    assert.deepEqual(got, ['pass', 'pass', 'pass', '429 ratelimit/per-ip']);
  });
});

describe('policy reload', () => {
  it('replacing deps.policy whole applies the new limits to the next request', async () => {
    const { rule, deps } = setup();
    for (let i = 0; i < 3; i++) await rule('198.51.100.1');
    assert.equal(await rule('198.51.100.1'), '429 ratelimit/per-ip');
    deps.policy = compilePolicy(configSchema.parse({ ...base, rate_limits: [] }));
    assert.equal(await rule('198.51.100.1'), 'pass');
  });
});
