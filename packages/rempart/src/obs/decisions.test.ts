import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestCtx, Verdict } from '../pipeline/types.ts';
import { DecisionRing, worthRecording } from './decisions.ts';

function ctx(id: string, trace: RequestCtx['trace'] = []): RequestCtx {
  return {
    id,
    startedAt: 0,
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
    trace,
  };
}
const BLOCK: Verdict = { kind: 'block', rule: 'ban/auto', status: 403 };

test('records and finds a decision with its trace; long paths are cut', () => {
  const ring = new DecisionRing(4);
  const trace = [{ stage: 'ban', kind: 'block' as const, rule: 'ban/auto', ms: 0.1 }];
  ring.record(ctx('a', trace), BLOCK, 403, 1_000);
  const r = ring.get('a');
  assert.ok(r);
  assert.equal(r.rule, 'ban/auto');
  assert.equal(r.prefix, '127.0.0.0/24');
  assert.deepEqual(r.trace, trace);
  assert.equal(r.path.length, 256);
  assert.equal(ring.get('nope'), undefined);
});

test('bounded: the oldest decisions are evicted at capacity', () => {
  const ring = new DecisionRing(3);
  for (const id of ['a', 'b', 'c', 'd', 'e']) ring.record(ctx(id), BLOCK, 403, 0);
  assert.equal(ring.size, 3);
  assert.equal(ring.evictions, 2);
  assert.equal(ring.get('a'), undefined);
  assert.equal(ring.get('b'), undefined);
  assert.equal(ring.get('e')?.id, 'e');
});

test('worth recording: refusals and dry-run matches, not plain passes', () => {
  assert.equal(worthRecording(ctx('a'), { kind: 'pass' }), false);
  assert.equal(worthRecording(ctx('a'), BLOCK), true);
  assert.equal(
    worthRecording(ctx('a', [{ stage: 'ratelimit', kind: 'pass', dryRun: 'limit', ms: 0 }]), { kind: 'pass' }),
    true,
  );
});
