import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicy } from '../config/compile.ts';
import { configSchema } from '../config/schema.ts';
import { createManualClock } from '../core/clock.ts';
import { createMemoryStore } from '../state/memory-store.ts';
import { newCtx } from './context.ts';
import { expandTrace, fullTrace, recordDryRun, runPipeline } from './run.ts';
import { type Deps, PASS, type Stage, type Verdict } from './types.ts';

const clock = createManualClock();
const deps: Deps = {
  clock,
  store: createMemoryStore({ maxEntries: 100 }),
  policy: compilePolicy(
    configSchema.parse({
      listeners: [{ name: 'p', port: 0 }],
      admin: { token: 'a-test-token-of-16+chars' },
      upstreams: [{ name: 'u', url: 'http://127.0.0.1:9' }],
    }),
  ),
  snapshot: { mode: 'normal', pressure: 0, pinned: false, since: 0 },
};
const ctx = () =>
  newCtx({ method: 'GET', url: '/', headers: {}, httpVersion: '1.1' }, { peerIp: '192.0.2.1', tls: false }, clock);

const LIMIT: Verdict = { kind: 'limit', rule: 'x/limit', status: 429, retryAfterS: 1 };
const sync = (name: string, v: Verdict, calls: string[], costMs = 0): Stage => ({
  name,
  run() {
    calls.push(name);
    clock.advance(costMs);
    return v;
  },
});
const later = (name: string, v: Verdict, calls: string[]): Stage => ({
  name,
  run() {
    calls.push(name);
    return new Promise((resolve) => setImmediate(() => resolve(v)));
  },
});
const dryRun = (name: string, calls: string[]): Stage => ({
  name,
  run(c) {
    calls.push(name);
    recordDryRun(c, name, `${name}/would`, 'block');
    recordDryRun(c, name, `${name}/would-too`, 'limit');
    return PASS;
  },
});

describe('runPipeline', () => {
  it('all synchronous: answers synchronously; passes write no line and are implied by the walk', () => {
    const calls: string[] = [];
    const c = ctx();
    const stages = [sync('a', PASS, calls, 2), sync('b', PASS, calls, 3)];
    const v = runPipeline(c, deps, stages);
    assert.ok(!(v instanceof Promise));
    assert.equal(v.kind, 'pass');
    assert.deepEqual(c.trace, []);
    assert.equal(c.stages, stages);
    assert.equal(c.stagesRun, 2);
    assert.deepEqual(fullTrace(c), [
      { stage: 'a', kind: 'pass' },
      { stage: 'b', kind: 'pass' },
    ]);
  });

  it('stops at the first non-pass verdict', () => {
    const calls: string[] = [];
    const c = ctx();
    const v = runPipeline(c, deps, [sync('a', PASS, calls), sync('b', LIMIT, calls), sync('c', PASS, calls)]);
    assert.equal(v, LIMIT);
    assert.deepEqual(calls, ['a', 'b']);
    assert.deepEqual(c.trace, [{ stage: 'b', kind: 'limit', rule: 'x/limit', at: 1 }]);
    assert.deepEqual(
      fullTrace(c).map((t) => `${t.stage}:${t.kind}`),
      ['a:pass', 'b:limit'],
    );
  });

  it('a promise switches to async and the walk continues in order', async () => {
    const calls: string[] = [];
    const c = ctx();
    const v = runPipeline(c, deps, [
      sync('a', PASS, calls),
      later('b', PASS, calls),
      sync('c', PASS, calls),
      later('d', LIMIT, calls),
      sync('e', PASS, calls),
    ]);
    assert.ok(v instanceof Promise);
    assert.equal(await v, LIMIT);
    assert.deepEqual(calls, ['a', 'b', 'c', 'd']);
    assert.deepEqual(
      fullTrace(c).map((t) => `${t.stage}:${t.kind}`),
      ['a:pass', 'b:pass', 'c:pass', 'd:limit'],
    );
  });

  it('dry-run lines stand for the stage and the walk goes on', () => {
    const calls: string[] = [];
    const c = ctx();
    const v = runPipeline(c, deps, [dryRun('a', calls), sync('b', PASS, calls)]);
    assert.equal((v as Verdict).kind, 'pass');
    assert.deepEqual(calls, ['a', 'b']);
    assert.deepEqual(
      fullTrace(c).map((t) => [t.stage, t.kind, t.rule, t.dryRun]),
      [
        ['a', 'pass', 'a/would', 'block'],
        ['a', 'pass', 'a/would-too', 'limit'],
        ['b', 'pass', undefined, undefined],
      ],
    );
  });

  it('a rejecting stage rejects the walk (the server answers 500)', async () => {
    const bad: Stage = { name: 'bad', run: () => Promise.reject(new Error('boom')) };
    await assert.rejects(async () => runPipeline(ctx(), deps, [bad]), /boom/);
  });
});

describe('expandTrace', () => {
  const names = ['identity', 'access', 'ban', 'ratelimit', 'challenge'];
  const at = (stage: string, i: number, rule: string) => ({
    stage,
    kind: 'pass' as const,
    rule,
    dryRun: 'block' as const,
    at: i,
  });
  it("lines in their stage's place, passes around them, lines from outside the walk last", () => {
    const lines = [at('ban', 3, 'ban/auto'), { stage: 'ratelimit', kind: 'limit' as const, rule: 'r', at: 3 }];
    assert.deepEqual(
      expandTrace(names, 4, [...lines, { stage: 'hygiene', kind: 'block', rule: 'limits/body-too-slow' }]).map(
        (t) => `${t.stage}:${t.kind}`,
      ),
      ['identity:pass', 'access:pass', 'ban:pass', 'ban:pass', 'ratelimit:limit', 'hygiene:block'],
    );
  });
  it('no walk (refused before the pipeline): the lines alone', () => {
    assert.deepEqual(expandTrace([], 0, [{ stage: 'hygiene', kind: 'block', rule: 'hygiene/x' }]), [
      { stage: 'hygiene', kind: 'block', rule: 'hygiene/x' },
    ]);
  });
});
