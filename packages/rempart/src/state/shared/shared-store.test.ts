import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storeContract } from '../store.contract.ts';
import { handleBytes, newSharedStoreHandle } from './handle.ts';
import { createSharedStore } from './shared-store.ts';

storeContract('shared', () => createSharedStore(newSharedStoreHandle({ maxEntries: 10_000 })));

describe('shared store stays bounded', () => {
  it('a spray of 1,000,000 distinct keys keeps every buffer and table at its size', () => {
    const cap = 50_000;
    const h = newSharedStoreHandle({ maxEntries: cap, maxMembers: 16 });
    const bytes = handleBytes(h);
    const store = createSharedStore(h);
    const p = { emissionMs: 1000, burst: 5 };
    const now = 1_700_000_000_000;
    for (let i = 0; i < 1_000_000; i++) {
      const ip = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
      store.consumeRate(`rl:per-ip:${ip}`, now + i, 1, p);
      if (i % 4 === 0) store.countEvent(`ab:${ip}`, now + i, 60_000);
      if (i % 4 === 1) store.addDistinct(`dl:${ip}`, `user${i}`, now + i, 60_000, 10);
      if (i % 2 === 1) store.ban({ target: ip, reason: 'spray', rule: 'auto', createdAt: now, expiresAt: now + 1e9 });
    }
    assert.equal(handleBytes(h), bytes, 'no buffer changed size');
    const s = store.sizes();
    for (const [name, t] of Object.entries(s)) {
      assert.equal(t.capacity, cap, `${name}: capacity`);
      assert.equal(t.size, cap, `${name}: full`);
    }
    // Every key beyond the capacity evicted exactly one (keys are new, so none found its own entry).
    assert.equal(s.rate.evictions, 1_000_000 - cap);
    assert.equal(s.events.evictions, 250_000 - cap);
    assert.equal(s.distinct.evictions, 250_000 - cap);
    assert.equal(s.bans.evictions, 500_000 - cap);
  });

  it('a distinct set keeps at most maxMembers: past it new members are refused, known ones pass', () => {
    const store = createSharedStore(newSharedStoreHandle({ maxEntries: 100, maxMembers: 4 }));
    const add = (m: string) => store.addDistinct('k', m, 0, 60_000, 10);
    for (const m of ['a', 'b', 'c', 'd']) assert.equal(add(m).exceeded, false);
    assert.deepEqual(add('e'), { count: 5, exceeded: true, retryAfterMs: 60_000 });
    assert.equal(add('a').exceeded, false);
    assert.equal(store.sizes().distinct.size, 1);
  });

  it('a ban target must fit its byte area; reason and rule are cut on a character boundary', () => {
    const store = createSharedStore(newSharedStoreHandle({ maxEntries: 100 }));
    const e = { target: '2001:db8:1:2::/64', reason: 'é'.repeat(100), rule: `r${'x'.repeat(60)}`, createdAt: 0 };
    store.ban({ ...e, expiresAt: 10 });
    const got = store.banned(e.target, 1);
    assert.equal(got?.reason, 'é'.repeat(64));
    assert.equal(got?.rule, e.rule.slice(0, 48));
    assert.throws(() => store.ban({ ...e, target: 'x'.repeat(49), expiresAt: 10 }), RangeError);
  });

  it('close leaves the memory to the other threads', async () => {
    const h = newSharedStoreHandle({ maxEntries: 100 });
    const one = createSharedStore(h);
    const two = createSharedStore(h);
    one.ban({ target: '192.0.2.1', reason: 'r', rule: 'x', createdAt: 0, expiresAt: 10 });
    assert.equal(one.consumeRate('k', 0, 1, { emissionMs: 1000, burst: 0 }).allowed, true);
    await one.close();
    assert.equal(two.banned('192.0.2.1', 1)?.rule, 'x');
    assert.equal(two.consumeRate('k', 0, 1, { emissionMs: 1000, burst: 0 }).allowed, false);
  });
});
