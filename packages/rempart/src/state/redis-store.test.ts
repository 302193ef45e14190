import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { dropPrefixes, REDIS_URL, redisSkip } from '../testing/redis.ts';
import { createRedisStore, type RedisStore } from './redis-store.ts';
import { storeContract } from './store.contract.ts';

// Against the machine's real Redis (testing/redis.ts: under CI=true unreachable fails the run).

const skip = await redisSkip();
const up = skip === false;

const prefix = () => {
  const p = `rempart-test:${randomBytes(6).toString('hex')}:`;
  prefixes.push(p);
  return p;
};
const opened: RedisStore[] = [];
const relays: { close(): void }[] = [];
const prefixes: string[] = [];
async function open(o: Partial<Parameters<typeof createRedisStore>[0]> = {}): Promise<RedisStore> {
  const s = await createRedisStore({ url: REDIS_URL, prefix: prefix(), maxEntries: 10_000, ...o });
  opened.push(s);
  return s;
}
after(async () => {
  for (const r of relays) r.close();
  for (const s of opened) await s.close().catch(() => {});
  if (up) await dropPrefixes(prefixes);
});

async function until(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

if (up) storeContract('redis', () => open());

/** A TCP relay to Redis the test can cut and restore, to play a Redis outage without touching the real one. */
function relay(): Promise<{ url: string; cut(): void; restore(): Promise<void>; close(): void }> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((c) => {
        const u = createConnection(Number(target.port || 6379), target.hostname);
        sockets.add(c).add(u);
        c.pipe(u).pipe(c);
        const end = () => {
          c.destroy();
          u.destroy();
        };
        c.on('error', end).on('close', end);
        u.on('error', end).on('close', end);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  return listen().then(() => {
    const r = {
      url: `redis://127.0.0.1:${port}`,
      cut() {
        server.close();
        for (const s of sockets) s.destroy();
        sockets.clear();
      },
      restore: listen,
      close() {
        server.close();
        for (const s of sockets) s.destroy();
      },
    };
    relays.push(r);
    return r;
  });
}

describe('redis store', { skip }, () => {
  it('sums rate buckets across gateways sharing a prefix', async () => {
    const shared = prefix();
    const x = await open({ prefix: shared });
    const y = await open({ prefix: shared });
    const other = await open();
    assert.equal(x.remote.connected(), true);
    const g = { emissionMs: 1000, burst: 1 };
    const now = Date.now();
    assert.equal((await x.consumeRate('ip:1', now, 1, g)).allowed, true);
    assert.equal((await y.consumeRate('ip:1', now, 1, g)).allowed, true);
    const third = await x.consumeRate('ip:1', now, 1, g);
    assert.equal(third.allowed, false, 'burst 1 = two requests in all, whichever gateway took them');
    assert.ok(third.retryAfterMs > 0);
    assert.equal((await other.consumeRate('ip:1', now, 1, g)).allowed, true, 'another prefix is another deployment');
  });

  it('announces bans and unbans to every gateway', async () => {
    const shared = prefix();
    const x = await open({ prefix: shared });
    const y = await open({ prefix: shared });
    const now = Date.now();
    const entry = { target: '203.0.113.9', reason: 'test', rule: 'manual', createdAt: now, expiresAt: now + 60_000 };
    await x.ban(entry);
    await until('ban on the other gateway', () => y.banned('203.0.113.9', Date.now()) !== undefined);
    assert.deepEqual(y.banned('203.0.113.9', Date.now()), entry);
    // A gateway started later loads the list.
    const z = await open({ prefix: shared });
    assert.deepEqual(z.banned('203.0.113.9', Date.now()), entry);
    assert.equal(await y.unban('203.0.113.9'), true);
    await until('unban on the first gateway', () => x.banned('203.0.113.9', Date.now()) === undefined);
    await until('unban on the late gateway', () => z.banned('203.0.113.9', Date.now()) === undefined);
  });

  it('a gateway never re-applies its own ban announcement after a later unban', async () => {
    // The echo of a ban travels on the subscriber connection and can arrive after the unban that follows it.
    const x = await open();
    for (let i = 0; i < 40; i++) {
      const now = Date.now();
      const target = `203.0.113.${i}`;
      await x.ban({ target, reason: 'test', rule: 'manual', createdAt: now, expiresAt: now + 60_000 });
      assert.equal(await x.unban(target), true);
      assert.equal(x.banned(target, Date.now()), undefined, `${target} banned again right after its unban`);
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(x.listBans(Date.now()), [], 'late echoes brought bans back');
  });

  it('shares a mode pin with the other gateways and with one started later', async () => {
    const shared = prefix();
    const x = await open({ prefix: shared });
    const y = await open({ prefix: shared });
    const seenX: (string | null)[] = [];
    const seenY: (string | null)[] = [];
    x.remote.onPin((m) => seenX.push(m));
    y.remote.onPin((m) => seenY.push(m));
    await x.remote.sharePin('under-attack');
    await until('pin on the other gateway', () => seenY.length === 1);
    assert.deepEqual(seenY, ['under-attack']);
    const late = await open({ prefix: shared });
    const seenLate: (string | null)[] = [];
    late.remote.onPin((m) => seenLate.push(m));
    assert.deepEqual(seenLate, ['under-attack'], 'a pin already set is handed over at once');
    await y.remote.sharePin(null);
    await until('release on the first gateway', () => seenX.length === 1);
    assert.deepEqual(seenX, [null], 'a gateway is not told of its own pin');
    await until('release on the late gateway', () => seenLate.length === 2);
  });

  it('starts on local state when Redis is unreachable, switches to Redis when it appears, and writes the bans made meanwhile', async () => {
    const r = await relay();
    r.cut();
    const shared = prefix();
    const switches: boolean[] = [];
    const t0 = Date.now();
    const s = await open({ url: r.url, prefix: shared, probeMs: 100, onSwitch: (c) => switches.push(c) });
    assert.ok(Date.now() - t0 < 2500, 'start is not held up by a missing Redis');
    assert.equal(s.remote.connected(), false);
    assert.deepEqual(switches, [false]);
    const g = { emissionMs: 60_000, burst: 0 };
    const r1 = s.consumeRate('k', Date.now(), 1, g);
    assert.ok(!(r1 instanceof Promise), 'answered locally, synchronously');
    assert.equal(r1.allowed, true);
    const entry = { target: '198.51.100.1', reason: 't', rule: 'manual', createdAt: 1, expiresAt: Date.now() + 60_000 };
    await s.ban(entry);
    assert.deepEqual(s.banned(entry.target, Date.now()), entry, 'enforced locally at once');
    await r.restore();
    await until('switch to redis', () => s.remote.connected(), 5000);
    assert.deepEqual(switches, [false, true]);
    const late = await open({ prefix: shared });
    assert.deepEqual(late.banned(entry.target, Date.now()), entry, 'the ban made while Redis was away reached it');
  });

  it('falls back to local within a second when Redis goes away, and comes back', async () => {
    const r = await relay();
    const shared = prefix();
    const s = await open({ url: r.url, prefix: shared, probeMs: 100 });
    assert.equal(s.remote.connected(), true);
    const g = { emissionMs: 1000, burst: 100 };
    assert.equal((await s.consumeRate('k', Date.now(), 1, g)).allowed, true);
    r.cut();
    const t0 = Date.now();
    // Requests keep being answered throughout: the first ones may still be in flight to the lost Redis.
    while (s.remote.connected()) {
      const a = await s.consumeRate('k', Date.now(), 1, g);
      assert.equal(a.allowed, true);
      assert.ok(Date.now() - t0 < 1000, 'still waiting on Redis after a second');
      await new Promise((x) => setTimeout(x, 5));
    }
    assert.ok(!(s.consumeRate('k', Date.now(), 1, g) instanceof Promise), 'local answers are synchronous');
    assert.equal(s.remote.fallbacks, 1);
    // A ban lifted elsewhere while this gateway was away is lifted here once it is back.
    const other = await open({ prefix: shared });
    const entry = { target: '192.0.2.44', reason: 't', rule: 'manual', createdAt: 1, expiresAt: Date.now() + 60_000 };
    await other.ban(entry);
    await r.restore();
    await until('switch back', () => s.remote.connected(), 5000);
    assert.deepEqual(s.banned(entry.target, Date.now()), entry, 'the mirror was reloaded from Redis');
    await other.unban(entry.target);
    await until('unban announced', () => s.banned(entry.target, Date.now()) === undefined);
  });
});
