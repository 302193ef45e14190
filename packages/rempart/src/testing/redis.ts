import { createClient } from 'redis';

// Tests that need the machine's Redis connect for real. Under CI=true an unreachable Redis fails the run
// rather than skipping, so a green CI always means the Redis paths ran.

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** false when Redis answers; otherwise the reason to skip (or, under CI, throws). */
export async function redisSkip(): Promise<false | string> {
  const c = createClient({ url: REDIS_URL, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.ping();
    await c.close();
    return false;
  } catch {
    c.destroy();
    if (process.env.CI === 'true')
      throw new Error(`Redis unreachable at ${REDIS_URL} (CI=true: failing, not skipping)`);
    return `Redis unreachable at ${REDIS_URL}`;
  }
}

/** Deletes every key under the given prefixes (the ban hash and its index never expire by themselves). */
export async function dropPrefixes(prefixes: readonly string[]): Promise<void> {
  const c = createClient({ url: REDIS_URL });
  await c.connect();
  for (const p of prefixes)
    for await (const keys of c.scanIterator({ MATCH: `${p}*` })) if (keys.length) await c.del(keys);
  await c.close();
}
