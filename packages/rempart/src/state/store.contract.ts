import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { GCRA_CASES } from './gcra.cases.ts';
import type { Store } from './store.ts';

// One behaviour contract for every Store backend (memory now, Redis later): call it from the backend's test
// file with a factory. Keys carry a random run prefix so a shared Redis can host concurrent runs.

const T0 = 1_700_000_000_000;

export function storeContract(backend: string, make: () => Store | Promise<Store>): void {
  describe(`Store contract: ${backend}`, () => {
    let store: Store;
    const run = randomBytes(4).toString('hex');
    const k = (name: string) => `t${run}:${name}`;
    before(async () => {
      store = await make();
    });
    after(async () => {
      await store.close();
    });

    describe('consumeRate follows the GCRA table', () => {
      GCRA_CASES.forEach((c, ci) => {
        it(c.name, async () => {
          const key = k(`gcra:${ci}`);
          for (const [si, s] of c.steps.entries()) {
            const r = await store.consumeRate(key, T0 + s.at, s.cost ?? 1, c.params);
            const where = `step ${si} at ${s.at} ms`;
            assert.equal(r.allowed, s.allowed, `${where}: allowed`);
            if (s.retryAfterMs !== undefined)
              assert.ok(Math.abs(r.retryAfterMs - s.retryAfterMs) < 1e-3, `${where}: retryAfterMs ${r.retryAfterMs}`);
            if (s.remaining !== undefined) assert.equal(r.remaining, s.remaining, `${where}: remaining`);
          }
        });
      });

      it('keys are independent', async () => {
        const p = { emissionMs: 1000, burst: 0 };
        assert.equal((await store.consumeRate(k('ind:a'), T0, 1, p)).allowed, true);
        assert.equal((await store.consumeRate(k('ind:a'), T0, 1, p)).allowed, false);
        assert.equal((await store.consumeRate(k('ind:b'), T0, 1, p)).allowed, true);
      });
    });

    describe('addDistinct', () => {
      it('counts distinct members, refuses the one past the limit, keeps known members passing', async () => {
        const key = k('dist:a');
        const add = (m: string, at = 0) => store.addDistinct(key, m, T0 + at, 60_000, 3);
        assert.deepEqual(await add('alice'), { count: 1, exceeded: false, retryAfterMs: 0 });
        assert.equal((await add('alice')).count, 1, 'a repeated member is not counted twice');
        assert.equal((await add('bob')).count, 2);
        assert.equal((await add('carol')).exceeded, false);
        const refused = await add('dave', 10_000);
        assert.equal(refused.exceeded, true);
        assert.equal(refused.count, 4);
        assert.equal(refused.retryAfterMs, 50_000, 'until the window starts over');
        assert.equal((await add('eve', 20_000)).exceeded, true);
        assert.equal((await add('bob', 20_000)).exceeded, false, 'a known member still passes');
      });

      it('starts a fresh window after windowMs', async () => {
        const key = k('dist:b');
        await store.addDistinct(key, 'a', T0, 1_000, 1);
        assert.equal((await store.addDistinct(key, 'b', T0 + 999, 1_000, 1)).exceeded, true);
        const r = await store.addDistinct(key, 'b', T0 + 1_000, 1_000, 1);
        assert.equal(r.exceeded, false);
        assert.equal(r.count, 1);
      });
    });

    describe('countEvent', () => {
      it('counts within a window and decays over the next one', async () => {
        const key = k('ev:a');
        for (let i = 1; i <= 5; i++) assert.equal(await store.countEvent(key, T0 + i, 10_000), i);
        // Halfway through the next window, the previous five weigh about half.
        const mid = await store.countEvent(key, T0 + 15_000, 10_000);
        assert.ok(mid > 3 && mid < 4, `got ${mid}`);
        // Two windows later nothing of the first burst remains.
        assert.equal(await store.countEvent(key, T0 + 40_000, 10_000), 1);
      });
    });

    describe('bans', () => {
      it('ban, lookup until expiry, list, unban', async () => {
        const ip = `198.51.100.${Number.parseInt(run.slice(0, 2), 16) % 250}`;
        const target = k(ip);
        const entry = { target, reason: 'test', rule: 'manual', createdAt: T0, expiresAt: T0 + 60_000 };
        await store.ban(entry);
        assert.deepEqual(store.banned(target, T0 + 1), entry);
        assert.ok(store.listBans(T0 + 1).some((b) => b.target === target));
        assert.equal(store.banned(target, T0 + 60_000), undefined, 'expired at expiresAt');
        assert.ok(!store.listBans(T0 + 60_001).some((b) => b.target === target));
        await store.ban({ ...entry, expiresAt: T0 + 120_000 });
        assert.equal(await store.unban(target), true);
        assert.equal(store.banned(target, T0 + 2), undefined);
        assert.equal(await store.unban(target), false);
      });
    });

    it('reports each table with a capacity', () => {
      const s = store.sizes();
      for (const name of ['rate', 'distinct', 'events', 'bans']) {
        assert.ok(s[name], `table ${name}`);
        assert.ok(s[name].size <= s[name].capacity);
      }
    });
  });
}
