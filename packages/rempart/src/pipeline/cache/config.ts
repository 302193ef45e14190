import { z } from 'zod';

// The `cache:` section: a bounded in-memory micro-cache for GET/HEAD on the routes listed here only.

export const cacheRouteSchema = z
  .object({
    route: z.string().min(1).describe('Route name (`routes[].name`); one policy per route.'),
    ttl_s: z
      .number()
      .positive()
      .max(3600)
      .default(2)
      .describe('Freshness, in seconds; an origin max-age or s-maxage can only shorten it.'),
    query_allow: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Query parameters kept in the cache key (sorted); every other parameter is dropped, from the key and from the request sent to the origin alike.',
      ),
    stale_while_revalidate_s: z
      .number()
      .nonnegative()
      .default(5)
      .describe(
        "Seconds after expiry an entry is still served at once while it is refreshed in the background, unless the origin's stale-while-revalidate says otherwise.",
      ),
    stale_if_error_s: z
      .number()
      .nonnegative()
      .default(300)
      .describe(
        "Seconds after expiry an entry is still served when the origin fails (or at once in a stale-first mode), unless the origin's stale-if-error says otherwise.",
      ),
    ignore_request_cookies: z
      .boolean()
      .default(false)
      .describe(
        'Cache for requests that carry cookies too (the response must still have no Set-Cookie and not be private).',
      ),
  })
  .strict();

export const cacheSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Off: nothing is served from the micro-cache.'),
    max_bytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024)
      .describe('Total bytes held (bodies, headers and keys); least recently used entries go first.'),
    max_object_bytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024)
      .describe('Largest response stored, in bytes; bigger ones are streamed through, never held.'),
    max_flights: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Distinct misses fetched from the origin at once at most; beyond, requests bypass the cache.'),
    pass_ttl_s: z
      .number()
      .positive()
      .default(10)
      .describe('Seconds a key whose response was not cacheable (or too large) bypasses the cache.'),
    routes: z
      .array(cacheRouteSchema)
      .default([])
      .describe('Cache policies, one per route; requests with an Authorization header are never cached.'),
  })
  .strict();

export type CacheConfig = z.infer<typeof cacheSchema>;
export type CacheRouteConfig = z.infer<typeof cacheRouteSchema>;

/** Semantic checks config/load.ts runs: cache policies must name existing routes, once each. */
export function cacheConfigProblems(
  cache: CacheConfig,
  routeNames: readonly string[],
): { path: (string | number)[]; message: string }[] {
  const known = new Set(routeNames);
  const seen = new Set<string>();
  const problems: { path: (string | number)[]; message: string }[] = [];
  cache.routes.forEach((r, i) => {
    const path = ['cache', 'routes', i, 'route'];
    if (!known.has(r.route)) problems.push({ path, message: `no route named "${r.route}"` });
    else if (seen.has(r.route)) problems.push({ path, message: `"${r.route}" has two cache policies` });
    seen.add(r.route);
  });
  if (cache.max_object_bytes > cache.max_bytes)
    problems.push({ path: ['cache', 'max_object_bytes'], message: 'larger than cache.max_bytes' });
  return problems;
}
