import { z } from 'zod';

// The `cache:` section: a bounded in-memory micro-cache for GET/HEAD on the routes listed here only.

export const cacheRouteSchema = z
  .object({
    /** Route name (routes[].name). */
    route: z.string().min(1),
    /** Freshness when the origin says nothing; an origin max-age/s-maxage can only shorten it. */
    ttl_s: z.number().positive().max(3600).default(2),
    /** Query parameters kept in the cache key (sorted); every other parameter is dropped, key and upstream alike. */
    query_allow: z.array(z.string().min(1)).default([]),
    /** Serve stale at once and refresh in the background for this long after expiry. */
    stale_while_revalidate_s: z.number().nonnegative().default(5),
    /** Serve stale when the origin fails or the gateway is under attack, for this long after expiry. */
    stale_if_error_s: z.number().nonnegative().default(300),
    /** Cache for requests carrying cookies (the response must still have no Set-Cookie and not be private). */
    ignore_request_cookies: z.boolean().default(false),
  })
  .strict();

export const cacheSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Total bytes held (bodies + headers + keys); least recently used entries go first. */
    max_bytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024),
    /** Bigger responses are streamed through, never held. */
    max_object_bytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /** Concurrent distinct misses coalesced at most; beyond, requests bypass the cache. */
    max_flights: z.number().int().positive().default(10_000),
    /** How long a key whose response was not cacheable skips the single-flight queue. */
    pass_ttl_s: z.number().positive().default(10),
    routes: z.array(cacheRouteSchema).default([]),
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
