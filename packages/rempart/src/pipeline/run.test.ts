import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicy } from '../config/compile.ts';
import { configSchema } from '../config/schema.ts';
import { createManualClock } from '../core/clock.ts';
import { createMemoryStore } from '../state/memory-store.ts';
import { newCtx } from './context.ts';
import { recordDryRun, runPipeline } from './run.ts';
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
  it('all synchronous: answers synchronously, one trace line per stage, with timings', () => {
    const calls: string[] = [];
    const c = ctx();
    const v = runPipeline(c, deps, [sync('a', PASS, calls, 2), sync('b', PASS, calls, 3)]);
    assert.ok(!(v instanceof Promise));
    assert.equal(v.kind, 'pass');
    assert.deepEqual(c.trace, [
      { stage: 'a', kind: 'pass', ms: 2 },
      { stage: 'b', kind: 'pass', ms: 3 },
    ]);
  });

  it('stops at the first non-pass verdict', () => {
    const calls: string[] = [];
    const c = ctx();
    const v = runPipeline(c, deps, [sync('a', PASS, calls), sync('b', LIMIT, calls), sync('c', PASS, calls)]);
    assert.equal(v, LIMIT);
    assert.deepEqual(calls, ['a', 'b']);
    assert.deepEqual(c.trace.at(-1), { stage: 'b', kind: 'limit', rule: 'x/limit', ms: 0 });
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
      c.trace.map((t) => `${t.stage}:${t.kind}`),
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
      c.trace.map((t) => [t.stage, t.kind, t.rule, t.dryRun]),
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
