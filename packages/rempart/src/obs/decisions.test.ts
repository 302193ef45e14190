import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { explainDecision } from '../admin/explain.ts';
import { newDecisionId } from '../core/decision-id.ts';
import type { RequestCtx, Stage, TraceLine, Verdict } from '../pipeline/types.ts';
import { DecisionRing, worthRecording } from './decisions.ts';

const stage = (name: string): Stage => ({ name, run: () => ({ kind: 'pass' }) });
const WALK = ['identity', 'access', 'ban', 'ratelimit', 'admission'].map(stage);

function ctx(o: Partial<RequestCtx> = {}): RequestCtx {
  return {
    id: newDecisionId(),
    startedAt: 1_700_000_000_000,
    startedMono: 0,
    method: 'GET',
    path: `/login/${'x'.repeat(400)}`,
    query: '',
    headers: {},
    httpVersion: '1.1',
    tls: false,
    peerIp: '127.0.0.9',
    client: { ip: '127.0.0.9', prefix: '127.0.0.0/24' },
    route: { name: 'login', routeClass: 'critical', upstream: 'poste' },
    routeClass: 'critical',
    trace: [],
    stages: WALK,
    stagesRun: 4,
    ...o,
  };
}
const LIMIT: Verdict = { kind: 'limit', rule: 'ratelimit/per-ip', status: 429, retryAfterS: 1 };
const limitLine: TraceLine = { stage: 'ratelimit', kind: 'limit', rule: 'ratelimit/per-ip', at: 3 };

test('records and finds a decision with its whole trace; long paths are cut', () => {
  const ring = new DecisionRing(4);
  const c = ctx({ trace: [limitLine] });
  ring.record(c, LIMIT, 429, 0.125);
  const r = ring.get(c.id);
  assert.ok(r);
  assert.equal(r.id, c.id);
  assert.equal(r.at, 1_700_000_000_000);
  assert.equal(r.ms, 0.125);
  assert.deepEqual(
    [r.ip, r.prefix, r.method, r.route, r.routeClass],
    ['127.0.0.9', '127.0.0.0/24', 'GET', 'login', 'critical'],
  );
  assert.deepEqual([r.verdict, r.status, r.rule], ['limit', 429, 'ratelimit/per-ip']);
  assert.deepEqual(r.trace, [
    { stage: 'identity', kind: 'pass' },
    { stage: 'access', kind: 'pass' },
    { stage: 'ban', kind: 'pass' },
    limitLine,
  ]);
  assert.equal(r.path.length, 256);
  assert.equal(ring.get(newDecisionId()), undefined, 'an id never recorded');
  assert.equal(ring.get('nope'), undefined, 'not an id of this process');
});

test('addresses: IPv4 packed, IPv6 and odd prefixes kept as text, no prefix before identity', () => {
  const ring = new DecisionRing(8);
  const cases: [RequestCtx['client'], string, string, string][] = [
    [{ ip: '203.0.113.7', prefix: '203.0.113.0/24' }, '1.1.1.1', '203.0.113.7', '203.0.113.0/24'],
    [{ ip: '2001:db8::1', prefix: '2001:db8:0:0::/64' }, '1.1.1.1', '2001:db8::1', '2001:db8:0:0::/64'],
    [{ ip: '10.0.0.1', prefix: '10.0.0.0/16' }, '1.1.1.1', '10.0.0.1', '10.0.0.0/16'],
    [{ ip: '10.0.0.01', prefix: '10.0.0.0/24' }, '1.1.1.1', '10.0.0.01', '10.0.0.0/24'],
    [undefined, '255.255.255.255', '255.255.255.255', ''],
    [undefined, '::1', '::1', ''],
  ];
  for (const [client, peerIp, ip, prefix] of cases) {
    const c = ctx({ client, peerIp });
    ring.record(c, LIMIT, 429, 1);
    const r = ring.get(c.id);
    assert.deepEqual([r?.ip, r?.prefix], [ip, prefix]);
  }
});

test('refused before the pipeline (hygiene): the refusal line alone, no route', () => {
  const ring = new DecisionRing(4);
  const line: TraceLine = { stage: 'hygiene', kind: 'block', rule: 'hygiene/bad-header' };
  const c = ctx({ stages: undefined, stagesRun: 0, route: undefined, routeClass: undefined, trace: [line] });
  ring.record(c, { kind: 'block', rule: line.rule as string, status: 403 }, 400, 0);
  const e = explainDecision(ring.get(c.id)!);
  assert.deepEqual(e.request, { method: 'GET', path: c.path.slice(0, 256), route: null, class: null });
  assert.equal(e.status, 400);
  assert.deepEqual(e.trace, [
    { stage: 'hygiene', verdict: 'block', rule: 'hygiene/bad-header', mode: 'enforce', would_have: null },
  ]);
});

test('dry-run passes are recorded with their marks and details; plain passes are not worth it', () => {
  const ring = new DecisionRing(4);
  const trace: TraceLine[] = [
    { stage: 'access', kind: 'pass', rule: 'access/allow-mtls:partners', detail: 'cn=acme', at: 1 },
    { stage: 'ratelimit', kind: 'pass', rule: 'ratelimit/watch', dryRun: 'limit', at: 3 },
  ];
  const c = ctx({ trace, stagesRun: 5 });
  assert.equal(worthRecording(c, { kind: 'pass' }), true);
  assert.equal(worthRecording(ctx(), { kind: 'pass' }), false);
  assert.equal(worthRecording(ctx(), LIMIT), true);
  ring.record(c, { kind: 'pass' }, 200, 12.5);
  const e = explainDecision(ring.get(c.id)!);
  assert.equal(e.rule, null);
  assert.equal(e.verdict, 'pass');
  assert.deepEqual(
    e.trace.map((t) => [t.stage, t.rule, t.mode, t.would_have, 'detail' in t ? t.detail : undefined]),
    [
      ['identity', null, 'enforce', null, undefined],
      ['access', 'access/allow-mtls:partners', 'enforce', null, 'cn=acme'],
      ['ban', null, 'enforce', null, undefined],
      ['ratelimit', 'ratelimit/watch', 'dry-run', 'limit', undefined],
      ['admission', null, 'enforce', null, undefined],
    ],
  );
});

test('keeps exactly the last N refusals across wrap-around while passes flood in between', () => {
  const N = 1000;
  const ring = new DecisionRing(N);
  const refused: string[] = [];
  for (let i = 0; i < 3500; i++) {
    // Passes take ids too (every request has one) but are not recorded.
    for (let p = 0; p < 7; p++) if (worthRecording(ctx(), { kind: 'pass' })) assert.fail('a plain pass was recorded');
    const c = ctx({ trace: [{ ...limitLine, rule: `ratelimit/r${i % 13}` }] });
    ring.record(c, { ...LIMIT, rule: `ratelimit/r${i % 13}` }, 429, i);
    refused.push(c.id);
  }
  assert.equal(ring.size, N);
  assert.equal(ring.evictions, 3500 - N);
  for (const id of refused.slice(0, -N)) assert.equal(ring.get(id), undefined, 'evicted');
  refused.slice(-N).forEach((id, k) => {
    const i = 3500 - N + k;
    const r = ring.get(id);
    assert.equal(r?.id, id);
    assert.equal(r?.rule, `ratelimit/r${i % 13}`);
    assert.equal(r?.ms, i);
  });
  assert.ok(ring.interned < 40, `interned strings stay few (${ring.interned})`);
});

test('an id recorded twice keeps its newest record, and survives the older one', () => {
  const ring = new DecisionRing(3);
  const c = ctx();
  ring.record(c, LIMIT, 429, 1);
  ring.record(ctx(), LIMIT, 429, 2);
  ring.record(c, LIMIT, 503, 3);
  ring.record(ctx(), LIMIT, 429, 4); // evicts the first record of c
  assert.equal(ring.get(c.id)?.status, 503);
});

test('records with many lines evict the oldest early rather than overwrite their lines', () => {
  const ring = new DecisionRing(4);
  const many: TraceLine[] = Array.from({ length: 6 }, (_, i) => ({
    ...limitLine,
    kind: 'pass',
    dryRun: 'limit',
    rule: `r${i}`,
  }));
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const c = ctx({ trace: many });
    ring.record(c, { kind: 'pass' }, 200, i);
    ids.push(c.id);
  }
  // 16 line slots for 4 records: two records of 6 lines fit, a third evicts the oldest.
  assert.equal(ring.size, 2);
  const last = ring.get(ids[5]);
  assert.deepEqual(
    last?.trace.filter((t) => t.dryRun).map((t) => t.rule),
    many.map((t) => t.rule),
  );
  assert.equal(ring.get(ids[3]), undefined);
});

test('memory: 1,000,000 refusals leave the backing stores and the heap as they were', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const ring = new DecisionRing();
  const backing = ring.backing.map((a) => [a, a.length] as const);
  const ctxs = Array.from({ length: 16 }, (_, i) =>
    ctx({ client: { ip: `198.51.100.${i}`, prefix: '198.51.100.0/24' }, trace: [limitLine], path: `/p/${i}` }),
  );
  const fill = (n: number) => {
    for (let i = 0; i < n; i++) {
      const c = ctxs[i & 15] as { id: string };
      c.id = newDecisionId();
      ring.record(ctxs[i & 15], LIMIT, 429, 0.1);
    }
  };
  fill(100_000); // the ring is full from here on
  gc();
  const before = process.memoryUsage().heapUsed;
  fill(1_000_000);
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  assert.equal(ring.size, ring.capacity);
  for (const [a, n] of backing) assert.equal(a.length, n);
  assert.deepEqual(
    ring.backing.map((a) => a),
    backing.map(([a]) => a),
    'same arrays',
  );
  assert.ok(ring.interned < 10, `interned ${ring.interned}`);
  assert.ok(grown < 4 * 1024 * 1024, `heap grew by ${(grown / 1024 / 1024).toFixed(1)} MB`);
});
