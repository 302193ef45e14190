import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { createMemoryStore } from './memory-store.ts';
import { BAN, DISTINCT, EVENTS, GCRA, type Script, SWEEP, UNBAN } from './redis-scripts.ts';
import type { BanEntry, DistinctResult, GcraParams, RateResult, Store, StoreRemote, TableSizes } from './store.ts';

// The cluster backend: counters live in Redis, updated atomically by Lua (redis-scripts.ts), so every gateway
// process and host sums into the same buckets. Bans are a Redis hash announced on a pub/sub channel; each
// gateway keeps a local mirror so `banned()` stays synchronous on the hot path.
//
// Redis is never allowed to become the outage. Commands time out quickly and are never queued while
// disconnected; the first failure switches every table to an in-process memory store (the same code as the
// memory backend), and a health probe every `probeMs` switches back once Redis answers again. Going back
// reconciles: bans and unbans made locally meanwhile are written to Redis, then the mirror is reloaded from
// it. Rate counters kept locally during the outage are dropped: they are seconds-long and per process.

export interface RedisStoreOptions {
  readonly url: string;
  /** Prefix of every key and of the ban channel, so several deployments (or test runs) can share a Redis. */
  readonly prefix: string;
  /** Capacity of the local fallback tables and of the ban mirror. */
  readonly maxEntries: number;
  /** Per-command timeout; past it the command fails and the store falls back to local. */
  readonly timeoutMs?: number;
  /** Health probe period while connected or not; a fallback lasts at most about one period after Redis heals. */
  readonly probeMs?: number;
  readonly now?: () => number;
  /** Told once per switch between Redis and local, with the reason (for the gateway's log). */
  readonly onSwitch?: (connected: boolean, reason: string) => void;
}

export interface RedisStore extends Store {
  readonly kind: 'redis';
  readonly remote: StoreRemote;
}

const PENDING_CAP = 10_000;
const SWEEP_EVERY_PROBES = 20;

type Reply = (string | number)[];

function rateOf(r: Reply): RateResult {
  return { allowed: r[0] === 1, retryAfterMs: Number(r[1]), remaining: Number(r[2]) };
}

function distinctOf(r: Reply): DistinctResult {
  return { count: Number(r[0]), exceeded: r[1] === 1, retryAfterMs: Number(r[2]) };
}

function parseBan(json: string): BanEntry | undefined {
  try {
    const b = JSON.parse(json) as BanEntry;
    return typeof b.target === 'string' && typeof b.expiresAt === 'number' ? b : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves once the store is usable: connected to Redis, or (Redis unreachable) on its local fallback. */
export async function createRedisStore(o: RedisStoreOptions): Promise<RedisStore> {
  const timeoutMs = o.timeoutMs ?? 250;
  const probeMs = o.probeMs ?? 500;
  const now = o.now ?? Date.now;
  const local = createMemoryStore({ maxEntries: o.maxEntries });
  const p = o.prefix;
  const banHash = `${p}bans`;
  const banExpiry = `${p}bans:exp`;
  const channel = `${p}bans`;
  const pinKey = `${p}mode:pin`;
  const pinChannel = `${p}mode`;
  // Tells this gateway's own announcements apart from the others' when they come back on the channel.
  const self = randomBytes(8).toString('hex');
  let pin: string | null = null;
  // Pinned while Redis was away: written on return instead of read.
  let pinPending = false;
  let pinListener: ((mode: string | null) => void) | undefined;
  const learnPin = (mode: string | null) => {
    if (mode === pin) return;
    pin = mode;
    pinListener?.(mode);
  };

  const socket = {
    connectTimeout: Math.max(timeoutMs, 1000),
    // Retry quickly at first, then every 2 s; never give up (Redis coming back is the normal end of an outage).
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
  };
  const client = createClient({
    url: o.url,
    socket,
    disableOfflineQueue: true,
    commandOptions: { timeout: timeoutMs },
  });
  // The subscriber may queue while offline: its only command is the subscription itself.
  const sub = client.duplicate({ disableOfflineQueue: false });
  let connected = false;
  let closed = false;
  let fallbacks = 0;
  let lastError = '';
  let reconciling: Promise<void> | undefined;
  let probes = 0;
  let subscribed = 0;
  const pendingBans = new Map<string, BanEntry>();
  const pendingUnbans = new Set<string>();

  const switchTo = (up: boolean, reason: string) => {
    if (up === connected) return;
    connected = up;
    if (!up) fallbacks++;
    o.onSwitch?.(up, reason);
  };
  const fail = (e: unknown) => {
    lastError = e instanceof Error ? e.message : String(e);
    switchTo(false, lastError);
  };
  client.on('error', fail);
  sub.on('error', fail);
  // A subscriber that reconnects may have missed announcements: reload the mirror.
  sub.on('ready', () => {
    if (connected) void reconcile();
  });

  async function run(s: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const n = String(keys.length);
    try {
      return await client.sendCommand(['EVALSHA', s.sha1, n, ...keys, ...args]);
    } catch (e) {
      // A restarted Redis forgets loaded scripts; EVAL sends the source once and caches it again.
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return client.sendCommand(['EVAL', s.source, n, ...keys, ...args]);
    }
  }

  function remember<K, V>(m: Map<K, V>, k: K, v: V) {
    m.delete(k);
    m.set(k, v);
    if (m.size > PENDING_CAP) m.delete(m.keys().next().value as K);
  }

  const writeBan = (b: BanEntry) =>
    run(BAN, [banHash, banExpiry], [channel, b.target, JSON.stringify(b), String(b.expiresAt), self]);

  async function reconcileOnce(): Promise<void> {
    for (const b of [...pendingBans.values()]) {
      await writeBan(b);
      pendingBans.delete(b.target);
    }
    for (const t of [...pendingUnbans]) {
      await run(UNBAN, [banHash, banExpiry], [channel, t, self]);
      pendingUnbans.delete(t);
    }
    await run(SWEEP, [banHash, banExpiry], [String(now())]);
    const all = (await client.sendCommand(['HVALS', banHash])) as string[];
    const t = now();
    const seen = new Set<string>();
    for (const json of all) {
      const b = parseBan(json);
      if (b === undefined || b.expiresAt <= t) continue;
      seen.add(b.target);
      local.ban(b);
    }
    // Lifted elsewhere while this gateway was away.
    for (const b of local.listBans(t)) if (!seen.has(b.target)) local.unban(b.target);
    if (pinPending) await writePin(pin);
    else learnPin(((await client.sendCommand(['GET', pinKey])) as string | null) ?? null);
  }

  async function writePin(mode: string | null): Promise<void> {
    await client
      .multi()
      .addCommand(mode === null ? ['DEL', pinKey] : ['SET', pinKey, mode])
      .addCommand(['PUBLISH', pinChannel, mode === null ? self : `${self} ${mode}`])
      .exec();
    pinPending = false;
  }

  function reconcile(): Promise<void> {
    reconciling ??= reconcileOnce()
      .then(() => switchTo(true, 'redis reachable'), fail)
      .finally(() => {
        reconciling = undefined;
      });
    return reconciling;
  }

  async function probe(): Promise<void> {
    if (closed || reconciling !== undefined) return;
    if (!client.isReady || !sub.isReady || subscribed < 2) {
      switchTo(false, lastError || 'redis not connected');
      return;
    }
    try {
      await client.sendCommand(['PING']);
    } catch (e) {
      fail(e);
      return;
    }
    if (!connected) return reconcile();
    if (++probes % SWEEP_EVERY_PROBES === 0) await run(SWEEP, [banHash, banExpiry], [String(now())]).catch(fail);
  }

  // "<sender> <mode>" or "<sender>" alone for a release.
  const onPinMessage = (msg: string) => {
    const [from, mode] = msg.split(' ');
    if (from !== self) learnPin(mode || null);
  };

  // "+<sender> <entry json>" or "-<sender> <target>". A gateway's own echo is skipped: it applied the change
  // already, and the echo can arrive after a later change (ban then unban would briefly re-ban).
  const onMessage = (msg: string) => {
    const space = msg.indexOf(' ');
    if (space < 0 || msg.slice(1, space) === self) return;
    const body = msg.slice(space + 1);
    if (msg.startsWith('+')) {
      const b = parseBan(body);
      if (b !== undefined) local.ban(b);
    } else if (msg.startsWith('-')) local.unban(body);
  };

  // Start: wait up to one connect timeout; an unreachable Redis starts the gateway on local state instead, and
  // the probe switches to Redis once it answers. The subscription is queued until the subscriber connects and
  // node-redis renews it after every reconnect.
  client.connect().catch(fail);
  sub.connect().catch(fail);
  for (const [ch, fn] of [
    [channel, onMessage],
    [pinChannel, onPinMessage],
  ] as const)
    sub.subscribe(ch, fn).then(() => {
      subscribed++;
    }, fail);
  const deadline = Date.now() + socket.connectTimeout;
  while (!connected && Date.now() < deadline) {
    await probe();
    if (!connected) await new Promise((r) => setTimeout(r, 25));
  }
  if (!connected) {
    fallbacks++;
    o.onSwitch?.(false, lastError || 'redis not reachable at start');
  }
  const timer = setInterval(() => void probe(), probeMs);
  timer.unref();

  const remote: StoreRemote = {
    connected: () => connected,
    async sharePin(mode) {
      pin = mode;
      pinPending = true;
      if (connected) await writePin(mode).catch(fail);
    },
    onPin(fn) {
      pinListener = fn;
      if (pin !== null) fn(pin);
    },
    get fallbacks() {
      return fallbacks;
    },
  };

  return {
    kind: 'redis',
    remote,

    consumeRate(key, at, cost, g: GcraParams) {
      if (!connected) return local.consumeRate(key, at, cost, g);
      return run(GCRA, [`${p}r:${key}`], [String(at), String(cost), String(g.emissionMs), String(g.burst)]).then(
        (r) => rateOf(r as Reply),
        (e) => {
          fail(e);
          return local.consumeRate(key, at, cost, g);
        },
      );
    },

    addDistinct(key, member, at, windowMs, limit) {
      if (!connected) return local.addDistinct(key, member, at, windowMs, limit);
      return run(DISTINCT, [`${p}d:${key}`], [member, String(at), String(windowMs), String(limit)]).then(
        (r) => distinctOf(r as Reply),
        (e) => {
          fail(e);
          return local.addDistinct(key, member, at, windowMs, limit);
        },
      );
    },

    countEvent(key, at, windowMs) {
      if (!connected) return local.countEvent(key, at, windowMs);
      return run(EVENTS, [`${p}e:${key}`], [String(at), String(windowMs)]).then(Number, (e) => {
        fail(e);
        return local.countEvent(key, at, windowMs);
      });
    },

    banned: (target, at) => local.banned(target, at),

    async ban(entry) {
      // Enforced here at once; the others learn it from the channel.
      local.ban(entry);
      pendingUnbans.delete(entry.target);
      if (!connected) {
        remember(pendingBans, entry.target, entry);
        return;
      }
      await writeBan(entry).catch((e) => {
        fail(e);
        remember(pendingBans, entry.target, entry);
      });
    },

    async unban(target) {
      const had = local.unban(target);
      pendingBans.delete(target);
      if (!connected) {
        if (pendingUnbans.size < PENDING_CAP) pendingUnbans.add(target);
        return had;
      }
      try {
        return (await run(UNBAN, [banHash, banExpiry], [channel, target, self])) === 1 || had;
      } catch (e) {
        fail(e);
        pendingUnbans.add(target);
        return had;
      }
    },

    listBans: (at) => local.listBans(at),

    sizes(): TableSizes {
      return local.sizes();
    },

    async close() {
      closed = true;
      clearInterval(timer);
      await reconciling;
      for (const c of [sub, client]) {
        if (c.isOpen) await c.close().catch(() => c.destroy());
        else c.destroy();
      }
      await local.close();
    },
  };
}
