import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createMemoryStore } from './memory-store.ts';
import { storeContract } from './store.contract.ts';

storeContract('memory', () => createMemoryStore({ maxEntries: 10_000 }));

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

// A full GC before each reading, so the figures show what the tables keep, not garbage awaiting collection.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function settled(): { rss: number; heap: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

describe('memory store stays bounded', () => {
  it('a spray of 1,000,000 distinct keys keeps every table at its cap', (t) => {
    const cap = 50_000;
    const store = createMemoryStore({ maxEntries: cap });
    const p = { emissionMs: 1000, burst: 5 };
    const now = 1_700_000_000_000;
    const before = settled();
    let atCap = before;
    for (let i = 0; i < 1_000_000; i++) {
      // Distinct IPv4-looking keys, as a botnet of a million addresses would make.
      const ip = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
      store.consumeRate(`rl:per-ip:${ip}`, now + i, 1, p);
      if (i % 4 === 0) store.countEvent(`ab:${ip}`, now + i, 60_000);
      if (i % 4 === 1) store.addDistinct(`dl:${ip}`, `user${i}`, now + i, 60_000, 10);
      if (i % 8 === 2) store.ban({ target: ip, reason: 'spray', rule: 'auto', createdAt: now, expiresAt: now + 1e9 });
      if (i === cap * 10) atCap = settled(); // every table is full by then
    }
    const end = settled();
    const s = store.sizes();
    for (const [label, m] of [
      ['before', before],
      [`after ${cap * 10} keys (tables full)`, atCap],
      ['after 1,000,000 keys', end],
    ] as const) {
      t.diagnostic(`${label}: RSS ${mb(m.rss)}, heap used ${mb(m.heap)}`);
    }
    t.diagnostic(`tables: ${JSON.stringify(s)}`);
    for (const [name, tab] of Object.entries(s)) {
      assert.ok(tab.size <= cap, `${name}: ${tab.size} > ${cap}`);
    }
    assert.equal(s.rate.size, cap);
    assert.equal(s.rate.evictions, 1_000_000 - cap);
    assert.ok(s.bans.evictions > 0 && s.events.evictions > 0 && s.distinct.evictions > 0);
    // Flat after the cap: 900,000 more keys may not add more than a quarter to what the full tables hold.
    assert.ok(end.heap < atCap.heap * 1.25, `heap grew from ${mb(atCap.heap)} to ${mb(end.heap)}`);
  });

  it('a single distinct set cannot grow past its limit', () => {
    const store = createMemoryStore({ maxEntries: 1_000 });
    let refused = 0;
    for (let i = 0; i < 10_000; i++) if (store.addDistinct('k', `m${i}`, 0, 60_000, 50).exceeded) refused++;
    assert.equal(refused, 10_000 - 50);
    assert.equal(store.sizes().distinct.size, 1);
  });
});
