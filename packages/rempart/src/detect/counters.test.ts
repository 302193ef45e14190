import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TickCounters } from './counters.ts';
import { ddosiaRequest, legitRequest, prng } from './synthetic-trace.ts';

describe('TickCounters', () => {
  it('summarises one second: volume, sources, mix, origin health and heavy hitters', () => {
    const c = new TickCounters();
    const r = prng(9);
    for (let i = 0; i < 2_000; i++) {
      const f = legitRequest(r, 1_000, 30);
      if (i % 4 === 0) f.ip = '10.9.9.9';
      if (i % 100 === 0) f.status = 503;
      c.observe(f, '/t');
    }
    const s = c.summary();
    assert.equal(s.requests, 2_000);
    assert.ok(s.sources > 700 && s.sources < 1_100, `${s.sources}`);
    assert.equal(s.top.ip[0].key, '10.9.9.9');
    assert.ok(Math.abs(s.top.ip[0].count - 500) <= 100, `${s.top.ip[0].count}`);
    assert.ok(Math.abs(s.postShare - 0.1) < 0.03, `${s.postShare}`);
    assert.equal(s.errorRate, 0.01);
    assert.equal(s.latencyMeanMs, 30);
    assert.ok(s.uniqueUrlRatio < 0.5, `${s.uniqueUrlRatio}`);
    assert.equal(s.byClass.critical + s.byClass.normal + s.byClass.bulk + s.byClass.static, 2_000);
    c.clear();
    assert.equal(c.summary().requests, 0);
  });

  it('sees cache busting: random query tokens raise unique-URL ratio and query entropy', () => {
    const legit = new TickCounters();
    const bots = new TickCounters();
    const r = prng(10);
    for (let i = 0; i < 2_000; i++) legit.observe(legitRequest(r), '/t');
    for (let i = 0; i < 2_000; i++) {
      const f = ddosiaRequest(r);
      if (f.method === 'GET') bots.observe(f, '/recherche?q');
    }
    const a = legit.summary();
    const b = bots.summary();
    assert.ok(b.uniqueUrlRatio > 0.95, `${b.uniqueUrlRatio}`);
    assert.ok(b.queryEntropy - a.queryEntropy > 1, `${a.queryEntropy} → ${b.queryEntropy}`);
  });
});
