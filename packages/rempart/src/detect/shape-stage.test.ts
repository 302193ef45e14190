import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Policy } from '../config/compile.ts';
import { createManualClock } from '../core/clock.ts';
import type { Deps, RequestCtx } from '../pipeline/types.ts';
import { createMemoryStore } from '../state/memory-store.ts';
import { defaultDetectConfig } from './config.ts';
import { createDetector } from './detector.ts';
import { factsFromCtx } from './facts.ts';
import { createShapeStage } from './shape-stage.ts';
import { legitRequest, prng } from './synthetic-trace.ts';

// The stage over real request contexts: a bot's header order and a browser's differ, the detector
// learns the browser mix in peacetime, then a flood of the bot's shape is acted upon and the browser
// (and the priority lane) is not.

const BOT_HEADERS = { host: 'x', 'user-agent': 'Mozilla/5.0', accept: '*/*', 'accept-encoding': 'gzip' };
const BROWSER_HEADERS = {
  host: 'x',
  'user-agent': 'Mozilla/5.0 Chrome/131',
  accept: 'text/html,application/xhtml+xml',
  'accept-language': 'fr-FR,fr;q=0.9',
  'accept-encoding': 'gzip, deflate, br',
};

let ids = 0;
function ctx(headers: Record<string, string>, path = '/recherche', query = 'q=abc'): RequestCtx {
  return {
    id: `t${++ids}`,
    startedAt: 0,
    startedMono: 0,
    method: 'GET',
    path,
    query,
    headers,
    httpVersion: '1.1',
    tls: false,
    peerIp: `10.1.${ids & 255}.${(ids >> 8) & 255}`,
    route: { name: 'recherche', routeClass: 'bulk', upstream: 'poste' },
    routeClass: 'bulk',
    trace: [],
  };
}

function setup(over: Record<string, unknown> = {}) {
  const clock = createManualClock();
  const d = createDetector(defaultDetectConfig(over), clock);
  const deps: Deps = {
    clock,
    store: createMemoryStore({ maxEntries: 10_000 }),
    policy: {} as Policy,
    snapshot: d.snapshot,
  };
  const priority = new Set<string>();
  const stage = createShapeStage(d, { isPriority: (c) => priority.has(c.id) });
  const r = prng(1);
  const tick = (browsers: number, bots: number) => {
    for (let i = 0; i < browsers; i++) {
      if (i % 5 === 0) d.observe(factsFromCtx(ctx(BROWSER_HEADERS), 'pass', 200, 10));
      else d.observe(legitRequest(r));
    }
    for (let i = 0; i < bots; i++)
      d.observe(factsFromCtx(ctx(BOT_HEADERS, '/recherche', `q=${i}x${i}`), 'pass', 200, 10));
    clock.advance(1000);
    deps.snapshot = d.tick();
  };
  for (let i = 0; i < 40; i++) tick(200, 0);
  return { d, deps, stage, tick, priority, clock };
}

describe('shape stage', () => {
  it('passes everything in normal mode', async () => {
    const t = setup();
    assert.equal(t.deps.snapshot.mode, 'normal');
    assert.deepEqual(await t.stage.run(ctx(BOT_HEADERS), t.deps), { kind: 'pass' });
  });

  it('challenges the flood shape, spares browsers and the priority lane', async () => {
    const t = setup();
    t.tick(200, 3_000);
    assert.equal(t.deps.snapshot.mode, 'under-attack');
    const v = await t.stage.run(ctx(BOT_HEADERS), t.deps);
    assert.equal(v.kind, 'challenge');
    assert.match((v as { rule: string }).rule, /^detect\/shape:[0-9a-f]{8}:under-attack$/);
    assert.deepEqual(await t.stage.run(ctx(BROWSER_HEADERS), t.deps), { kind: 'pass' });
    const vip = ctx(BOT_HEADERS);
    t.priority.add(vip.id);
    assert.deepEqual(await t.stage.run(vip, t.deps), { kind: 'pass' });
    const monitoring = ctx(BOT_HEADERS);
    monitoring.allowListed = true;
    assert.deepEqual(await t.stage.run(monitoring, t.deps), { kind: 'pass' }, 'allow-listed: no automatic action');
    // Same program, other query token and other IP: same shape.
    assert.equal((await t.stage.run(ctx(BOT_HEADERS, '/recherche', 'q=zz9'), t.deps)).kind, 'challenge');
  });

  it('rate-limits the shape across all its IPs with GCRA once escalated, then blocks', async () => {
    const t = setup({ actions: { rate_limit_after_s: 2, block_after_s: 6, min_rate: 5, burst: 10 } });
    for (let i = 0; i < 3; i++) t.tick(200, 3_000);
    assert.equal([...t.d.snapshot.shapes.values()][0].action, 'limit');
    const kinds: string[] = [];
    for (let i = 0; i < 40; i++) kinds.push((await t.stage.run(ctx(BOT_HEADERS), t.deps)).kind);
    const passed = kinds.filter((k) => k === 'pass').length;
    assert.ok(passed >= 10 && passed <= 12, `${passed} passed within the burst`);
    assert.equal(kinds.at(-1), 'limit');
    for (let i = 0; i < 4; i++) t.tick(200, 3_000);
    const v = await t.stage.run(ctx(BOT_HEADERS), t.deps);
    assert.equal(v.kind, 'block');
  });

  it('dry-run lets the request pass and says what it would have done', async () => {
    const t = setup({ actions: { mode: 'dry-run' } });
    t.tick(200, 3_000);
    const c = ctx(BOT_HEADERS);
    assert.deepEqual(await t.stage.run(c, t.deps), { kind: 'pass' });
    assert.equal(c.trace[0].dryRun, 'challenge');
    assert.match(c.trace[0].rule!, /^detect\/shape:/);
    assert.ok(t.d.explain().shapes.some((s) => s.dryRun && (s.hits ?? 0) >= 1));
  });
});
