import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ewma } from './ewma.ts';
import { hashString } from './hash.ts';
import { HyperLogLog } from './hll.ts';
import { SpaceSaving } from './space-saving.ts';
import { prng } from './synthetic-trace.ts';

describe('HyperLogLog', () => {
  for (const n of [100, 10_000, 200_000, 1_000_000]) {
    it(`estimates ${n} distinct IPs within 3 %`, () => {
      const h = new HyperLogLog(14);
      for (let i = 0; i < n; i++) {
        const v = 0x0a000000 + i * 7;
        h.addHash(hashString(`${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`));
      }
      const e = h.estimate();
      assert.ok(Math.abs(e - n) / n < 0.03, `estimate ${e} for ${n}`);
    });
  }
  it('does not count repeats', () => {
    const h = new HyperLogLog(12);
    for (let k = 0; k < 50; k++) for (let i = 0; i < 1000; i++) h.addHash(hashString(`k${i}`));
    assert.ok(Math.abs(h.estimate() - 1000) < 50);
  });
  it('merges to the union and clears to zero', () => {
    const a = new HyperLogLog(12);
    const b = new HyperLogLog(12);
    for (let i = 0; i < 5000; i++) a.addHash(hashString(`a${i}`));
    for (let i = 0; i < 5000; i++) b.addHash(hashString(`b${i}`));
    a.merge(b);
    assert.ok(Math.abs(a.estimate() - 10_000) / 10_000 < 0.05);
    a.clear();
    assert.equal(a.estimate(), 0);
    assert.throws(() => a.merge(new HyperLogLog(10)), /different precision/);
  });
});

describe('SpaceSaving', () => {
  it('keeps the true top-k under a flood of distinct keys', () => {
    const ss = new SpaceSaving(64);
    const r = prng(7);
    // 10 heavy keys at 2 %..20 % of 200,000 items; the rest is 100,000 distinct one-off keys.
    const heavy = Array.from({ length: 10 }, (_, i) => ({ key: `heavy-${i}`, n: 4_000 * (i + 1) }));
    const stream: string[] = [];
    for (const h of heavy) for (let i = 0; i < h.n; i++) stream.push(h.key);
    for (let i = 0; i < 100_000; i++) stream.push(`noise-${i}`);
    for (let i = stream.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [stream[i], stream[j]] = [stream[j], stream[i]];
    }
    for (const k of stream) ss.offer(k);
    const top = ss.top(10);
    assert.deepEqual(
      top.map((t) => t.key),
      heavy.map((h) => h.key).reverse(),
    );
    for (const t of top) {
      const truth = heavy.find((h) => h.key === t.key)!.n;
      assert.ok(
        t.count >= truth && t.count - t.error <= truth,
        `${t.key}: ${t.count - t.error}..${t.count} vs ${truth}`,
      );
    }
    assert.equal(ss.tracked, 64);
    assert.equal(ss.seen, stream.length);
  });
  it('counts exactly while under capacity and forgets on clear', () => {
    const ss = new SpaceSaving(4);
    for (const k of ['a', 'b', 'a', 'c', 'a', 'b']) ss.offer(k);
    assert.deepEqual(
      ss.top().map((t) => [t.key, t.count, t.error]),
      [
        ['a', 3, 0],
        ['b', 2, 0],
        ['c', 1, 0],
      ],
    );
    ss.clear();
    assert.equal(ss.count('a'), 0);
    assert.deepEqual(ss.top(), []);
  });
});

describe('Ewma', () => {
  it('averages during warm-up, then follows slowly', () => {
    const e = new Ewma(0.05, 10);
    for (let i = 0; i < 10; i++) e.update(i % 2 === 0 ? 90 : 110);
    assert.ok(Math.abs(e.mean - 100) < 1e-9);
    assert.equal(e.ready, true);
    e.update(1100);
    assert.ok(Math.abs(e.mean - 150) < 1e-9, `${e.mean}`);
    assert.equal(e.ratio(300, 1), 2);
    assert.equal(new Ewma(0.1, 5).ratio(10, 50), 0.2);
  });
});
