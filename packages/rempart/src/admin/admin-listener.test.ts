import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { createManualClock } from '../core/clock.ts';
import { newDecisionId } from '../core/decision-id.ts';
import { DecisionRing } from '../obs/decisions.ts';
import { createMetrics } from '../obs/metrics.ts';
import { AdmissionRegistry } from '../pipeline/admission/registry.ts';
import type { RequestCtx } from '../pipeline/types.ts';
import { createMemoryStore } from '../state/memory-store.ts';
import type { BanEntry } from '../state/store.ts';
import { createAdminListener } from './admin-listener.ts';

// The admin API over a real socket: auth, every route, bad input; real memory store, admission, metrics.

const TOKEN = 'test-admin-token-0123456789';
const config = parseConfig(
  `
listeners: [{ name: public, port: 0 }]
admin: { token: ${TOKEN}, port: 0 }
upstreams: [{ name: poste, url: "http://127.0.0.1:3000", concurrency: { initial: 8, min: 2, max: 64 } }]
state: { redis_url: "redis://rempart:hunter2-secret@127.0.0.1:6379" }
`,
  'admin-test.yaml',
  {},
);

const clock = createManualClock();
const store = createMemoryStore({ maxEntries: 1_000 });
const decisions = new DecisionRing(100);
const admission = new AdmissionRegistry(config, clock);
const metrics = createMetrics();
const warnings: object[] = [];
let listenersUp = false;
let port = 0;
const admin = createAdminListener({
  host: '127.0.0.1',
  port: 0,
  token: TOKEN,
  sources: {
    clock,
    store: () => store,
    config: () => config,
    decisions,
    admission: () => admission.states(),
    upstreamHealth: () => ({ poste: true }),
    listenersUp: () => listenersUp,
    metrics: () => metrics.expose(),
    metricsContentType: metrics.registry.contentType,
    onBan: () => metrics.bansAdded.inc({ source: 'admin' }),
    log: { warn: (o) => warnings.push(o), info: () => {} },
  },
});
metrics.bindSources({
  admission: () => admission.states(),
  tables: () => store.sizes(),
  bans: () => store.listBans(clock.now()).length,
});

before(async () => {
  port = (await admin.listen()).port;
});
after(async () => {
  await admin.close();
  admission.close();
});

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary JSON answers
  json: () => any;
}

function call(
  method: string,
  path: string,
  o: { token?: string | null; body?: string; type?: string; headers?: Record<string, string> } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? TOKEN : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (o.body !== undefined) headers['content-type'] = o.type ?? 'application/json';
    const r = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) }),
      );
    });
    r.on('error', reject);
    r.end(o.body);
  });
}

describe('admin API', () => {
  test('/healthz answers without a token', async () => {
    const r = await call('GET', '/healthz', { token: null });
    assert.equal(r.status, 200);
  });

  test('/readyz is 503 until the listeners are up, then 200 (an upstream is healthy)', async () => {
    const r1 = await call('GET', '/readyz', { token: null });
    assert.equal(r1.status, 503);
    assert.equal(r1.json().listeners, false);
    listenersUp = true;
    const r2 = await call('GET', '/readyz', { token: null });
    assert.equal(r2.status, 200);
    assert.equal(r2.json().ready, true);
  });

  test('no token or a wrong token: 401, bilingual, with a decision id, logged', async () => {
    for (const token of [null, 'wrong-token-wrong-token', `${TOKEN}x`, '']) {
      const r = await call('GET', '/api/state', { token });
      assert.equal(r.status, 401);
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="rempart-admin"');
      const b = r.json();
      assert.match(b.message_fr, /Non autorisé/);
      assert.match(b.error, /Unauthorized/);
      assert.match(b.decision_id, /^[0-9a-f]{8}[0-9a-z]{6,}$/);
    }
    assert.ok(warnings.length >= 4);
    const lower = await call('GET', '/api/state', { token: null, headers: { authorization: `bearer ${TOKEN}` } });
    assert.equal(lower.status, 200, 'the scheme name is case-insensitive');
    const m = await call('GET', '/metrics', { token: null });
    assert.equal(m.status, 401, '/metrics needs the token too');
  });

  test('refused-auth log lines are capped per second; the rest are counted in the next line', async () => {
    clock.advance(1_000);
    warnings.length = 0;
    for (let i = 0; i < 25; i++) assert.equal((await call('GET', '/api/bans', { token: 'nope' })).status, 401);
    assert.equal(warnings.length, 10);
    clock.advance(1_000);
    await call('GET', '/api/bans', { token: 'nope' });
    assert.equal(warnings.length, 11);
    assert.equal((warnings[10] as { unlogged_before: number }).unlogged_before, 15);
  });

  test('POST /api/bans adds a ban; GET lists it; prefixes are canonicalised', async () => {
    const r = await call('POST', '/api/bans', {
      body: JSON.stringify({ target: '192.0.2.77/24', ttl_s: 600, reason: 'scraper' }),
    });
    assert.equal(r.status, 201);
    assert.equal(r.json().ban.target, '192.0.2.0/24');
    assert.equal(r.json().ban.expiresAt, clock.now() + 600_000);
    const r6 = await call('POST', '/api/bans', { body: JSON.stringify({ target: '2001:DB8:0:0::7', ttl_s: 60 }) });
    assert.equal(r6.status, 201);
    assert.equal(r6.json().ban.target, '2001:db8::7');
    const list = await call('GET', '/api/bans');
    assert.deepEqual(
      list
        .json()
        .bans.map((b: BanEntry) => b.target)
        .sort(),
      ['192.0.2.0/24', '2001:db8::7'],
    );
    assert.ok(store.banned('192.0.2.0/24', clock.now()));
  });

  test('POST /api/bans with bad input: 400 with field errors', async () => {
    const r = await call('POST', '/api/bans', { body: JSON.stringify({ target: 'not-an-ip', ttl_s: -3, extra: 1 }) });
    assert.equal(r.status, 400);
    const f = r.json().fields;
    assert.ok(f.ttl_s, JSON.stringify(f));
    assert.ok(f._ ?? f.extra, 'unknown keys are reported');
    const t = await call('POST', '/api/bans', { body: JSON.stringify({ target: '10.0.0.0/8', ttl_s: 60 }) });
    assert.equal(t.status, 400);
    assert.match(t.json().fields.target[0], /\/24/);
    const bad = await call('POST', '/api/bans', { body: '{"target": ' });
    assert.equal(bad.status, 400);
    const type = await call('POST', '/api/bans', { body: 'target=1.2.3.4', type: 'application/x-www-form-urlencoded' });
    assert.equal(type.status, 415);
    const big = await call('POST', '/api/bans', {
      body: JSON.stringify({ target: '1.2.3.4', ttl_s: 1, reason: 'x'.repeat(20_000) }),
    });
    assert.equal(big.status, 413);
  });

  test('DELETE /api/bans/:target removes a ban (prefix URL-encoded); a second time is 404', async () => {
    const r = await call('DELETE', `/api/bans/${encodeURIComponent('192.0.2.0/24')}`);
    assert.equal(r.status, 200);
    assert.equal(store.banned('192.0.2.0/24', clock.now()), undefined);
    const again = await call('DELETE', '/api/bans/192.0.2.0%2F24');
    assert.equal(again.status, 404);
    const bad = await call('DELETE', '/api/bans/zzz');
    assert.equal(bad.status, 400);
  });

  test('GET /api/decisions/:id explains a decision: trace, rule ids, dry-run marks', async () => {
    const id = newDecisionId();
    const ctx = {
      id,
      startedAt: clock.now(),
      method: 'POST',
      path: '/login',
      peerIp: '127.0.0.5',
      client: { ip: '127.0.0.5', prefix: '127.0.0.0/24' },
      route: { name: 'login', routeClass: 'critical', upstream: 'poste' },
      routeClass: 'critical',
      trace: [
        { stage: 'ratelimit', kind: 'pass', rule: 'login-per-ip', dryRun: 'limit' },
        { stage: 'ban', kind: 'block', rule: 'ban/auto' },
      ],
    } as unknown as RequestCtx;
    decisions.record(ctx, { kind: 'block', rule: 'ban/auto', status: 403 }, 403, 0.25);
    const r = await call('GET', `/api/decisions/${id}`);
    assert.equal(r.status, 200);
    const b = r.json();
    assert.equal(b.rule, 'ban/auto');
    assert.equal(b.client.ip, '127.0.0.5');
    assert.equal(b.ms, 0.25);
    assert.deepEqual(
      b.trace.map((t: { rule: string; mode: string }) => [t.rule, t.mode]),
      [
        ['login-per-ip', 'dry-run'],
        ['ban/auto', 'enforce'],
      ],
    );
    assert.match(b.explanation_fr, /refusée \(ban\/auto\)/);
    const missing = await call('GET', '/api/decisions/nope');
    assert.equal(missing.status, 404);
  });

  test('GET /api/config shows the running config with the token and secrets redacted', async () => {
    const r = await call('GET', '/api/config');
    assert.equal(r.status, 200);
    assert.ok(!r.text.includes(TOKEN), 'admin token never shown');
    assert.ok(!r.text.includes('hunter2-secret'), 'password in a URL never shown');
    const b = r.json();
    assert.equal(b.admin.token, '[redacted]');
    assert.equal(b.upstreams[0].name, 'poste');
    assert.equal(b.state.key_prefix, 'rempart:', 'non-secret keys are kept');
  });

  test('GET /api/state: table sizes and admission state', async () => {
    const r = await call('GET', '/api/state');
    assert.equal(r.status, 200);
    const b = r.json();
    assert.equal(b.admission[0].upstream, 'poste');
    assert.equal(b.admission[0].phase, 'measure-min-rtt');
    assert.equal(b.admission[0].limit, 2, 'minRTT is measured at the minimum concurrency first');
    assert.deepEqual(b.admission[0].queued, { critical: 0, normal: 0, static: 0, bulk: 0 });
    assert.equal(typeof b.tables.bans.size, 'number');
    assert.deepEqual(b.decisions, { size: 1, capacity: 100 });
  });

  test('GET /metrics: Prometheus text with live admission and state gauges', async () => {
    metrics.requests.inc({ verdict: 'block', class: 'critical', status: '403' });
    metrics.logDropped.inc(3);
    const r = await call('GET', '/metrics');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /text\/plain/);
    assert.match(r.text, /rempart_http_requests_total\{verdict="block",class="critical",status="403"\} 1/);
    assert.match(r.text, /rempart_upstream_concurrency_limit_requests\{upstream="poste"\} 2/);
    assert.match(r.text, /rempart_upstream_queue_length_requests\{upstream="poste",class="bulk"\} 0/);
    assert.match(r.text, /rempart_state_table_entries\{table="bans"\} 1/);
    assert.match(r.text, /rempart_ban_added_total\{source="admin"\} 2/);
    assert.match(r.text, /rempart_log_lines_dropped_total 3/);
    assert.match(r.text, /# TYPE rempart_http_request_duration_seconds histogram/);
  });

  test('unknown route 404, wrong method 405', async () => {
    assert.equal((await call('GET', '/api/nothing')).status, 404);
    assert.equal((await call('PUT', '/api/bans')).status, 405);
  });
});
