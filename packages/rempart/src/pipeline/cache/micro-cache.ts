import type { ServerResponse } from 'node:http';
import type { Clock } from '../../core/clock.ts';
import { onlyCookies } from '../../core/cookie.ts';
import { type AnyResponse, addGatewayCookie, writeError } from '../respond.ts';
import type { RequestCtx } from '../types.ts';
import { ByteLru } from './byte-lru.ts';
import { planStore } from './cache-control.ts';
import type { CacheConfig, CacheRouteConfig } from './config.ts';
import { cacheKey, normaliseQuery, varyKey } from './key.ts';
import { endToEnd, type FetchFromOrigin, type OriginResponse } from './origin.ts';
import { SingleFlight } from './single-flight.ts';

// The micro-cache: seconds-long caching of public GET/HEAD responses on the routes the operator lists,
// so a flood of identical (or normalised-identical) requests costs the origin one request per key per
// TTL. Single-flight coalesces concurrent misses; stale entries are served while refreshing, when the
// origin fails, and first of all when the detector's mode policy says stale-first (under attack).

export type CacheOutcome = 'hit' | 'stale' | 'miss' | 'pass' | 'error' | 'bypass';
export type CacheModePolicy = 'normal' | 'stale-ok' | 'stale-first';
export const CACHE_HEADER = 'x-rempart-cache';

interface Entry {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
  readonly etag: string | undefined;
  readonly storedAt: number;
  readonly freshUntil: number;
  readonly swrUntil: number;
  readonly sieUntil: number;
}

type Flight =
  | { kind: 'stored'; key: string; entry: Entry; vary: readonly string[] }
  | { kind: 'pass'; response: OriginResponse }
  | { kind: 'too-large' }
  | { kind: 'origin-error'; response: OriginResponse };

interface Compiled extends CacheRouteConfig {
  readonly allow: ReadonlySet<string>;
}

export interface MicroCacheStats {
  hits: number;
  stale: number;
  misses: number;
  passes: number;
  bypasses: number;
  errors: number;
  originFetches: number;
  bytes: number;
  entries: number;
  evictions: number;
  inFlight: number;
}

export interface MicroCache {
  /**
   * Serves the request from cache or through one coalesced buffered origin fetch and writes the response;
   * returns 'bypass' having written nothing when the request is not for the cache (the caller forwards it).
   */
  handle(ctx: RequestCtx, res: AnyResponse, fetchFromOrigin: FetchFromOrigin): Promise<CacheOutcome>;
  /** True when this request is for the cache at all (cacheable method, a cached route, no credentials). */
  serves(ctx: RequestCtx): boolean;
  /** True when a fresh or stale response exists for this request (admission may serve bulk from cache). */
  has(ctx: RequestCtx): boolean;
  stats(): MicroCacheStats;
}

export interface MicroCacheOptions {
  /** The mode policy's cache behaviour (the detector snapshot's policy.cache). */
  modePolicy?: () => CacheModePolicy;
  /** The origin is overloaded (detector pressure at its engage level): stale-ok then serves stale first. */
  overloaded?: () => boolean;
  /**
   * "name=" of the cookies the gateway sets for itself (clearance, visitor pass): a request carrying only those
   * is as anonymous to the origin as one with none, so it is still served from the cache.
   */
  gatewayCookies?: readonly string[];
}

export function createMicroCache(cfg: CacheConfig, clock: Clock, opts: MicroCacheOptions = {}): MicroCache {
  const gatewayCookies = opts.gatewayCookies ?? [];
  const routes = new Map<string, Compiled>();
  for (const r of cfg.routes) routes.set(r.route, { ...r, allow: new Set(r.query_allow) });
  const lru = new ByteLru<Entry>(cfg.max_bytes);
  // Small side tables, bounded too: which request headers a key varies on, and keys known uncacheable.
  const varyOf = new ByteLru<readonly string[]>(Math.max(65_536, cfg.max_bytes >> 6));
  const passUntil = new ByteLru<number>(Math.max(65_536, cfg.max_bytes >> 6));
  const flights = new SingleFlight<Flight>();
  const st = { hits: 0, stale: 0, misses: 0, passes: 0, bypasses: 0, errors: 0, originFetches: 0 };

  function policyFor(ctx: RequestCtx): Compiled | undefined {
    if (!cfg.enabled) return undefined;
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return undefined;
    const p = ctx.route === undefined ? undefined : routes.get(ctx.route.name);
    if (p === undefined) return undefined;
    if (ctx.headers.authorization !== undefined) return undefined;
    const cookie = ctx.headers.cookie;
    if (cookie !== undefined && !p.ignore_request_cookies && !onlyCookies(cookie, gatewayCookies)) return undefined;
    return p;
  }

  function primaryKey(ctx: RequestCtx, p: Compiled): { primary: string; query: string } {
    const query = normaliseQuery(ctx.query, p.allow);
    const host = (ctx.headers.host ?? ctx.headers[':authority']) as string | undefined;
    return { primary: cacheKey(host, ctx.path, query), query };
  }

  function fullKey(ctx: RequestCtx, primary: string): string {
    const names = varyOf.get(primary);
    return names === undefined ? primary : varyKey(primary, names, ctx.headers);
  }

  async function fill(
    ctx: RequestCtx,
    p: Compiled,
    primary: string,
    query: string,
    fetch: FetchFromOrigin,
  ): Promise<Flight> {
    st.originFetches++;
    const r = await fetch(ctx, { method: 'GET', path: ctx.path, query, maxBytes: cfg.max_object_bytes });
    const now = clock.now();
    if (r.tooLarge || r.body === undefined) {
      passUntil.set(primary, now + cfg.pass_ttl_s * 1000, primary.length + 16);
      return { kind: 'too-large' };
    }
    if (r.status >= 500) return { kind: 'origin-error', response: r };
    const plan = planStore(r.status, r.headers, p);
    if (typeof plan === 'string') {
      passUntil.set(primary, now + cfg.pass_ttl_s * 1000, primary.length + 16);
      return { kind: 'pass', response: r };
    }
    const vary =
      r.headers.vary === undefined
        ? []
        : String(r.headers.vary)
            .toLowerCase()
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s.length > 0)
            .sort();
    if (vary.length > 0) varyOf.set(primary, vary, primary.length + vary.join().length + 16);
    const key = vary.length > 0 ? varyKey(primary, vary, ctx.headers) : primary;
    const headers = endToEnd(r.headers);
    let headerBytes = 0;
    for (const n in headers) headerBytes += n.length + String(headers[n]).length + 4;
    const etag = typeof r.headers.etag === 'string' ? r.headers.etag : undefined;
    const entry: Entry = {
      status: r.status,
      headers,
      body: r.body,
      etag,
      storedAt: now,
      freshUntil: now + plan.ttlMs,
      swrUntil: now + plan.ttlMs + plan.swrMs,
      sieUntil: now + plan.ttlMs + Math.max(plan.swrMs, plan.sieMs),
    };
    lru.set(key, entry, r.body.length + headerBytes + key.length * 2 + 128);
    return { kind: 'stored', key, entry, vary };
  }

  function refresh(
    ctx: RequestCtx,
    p: Compiled,
    key: string,
    primary: string,
    query: string,
    fetch: FetchFromOrigin,
  ): void {
    if (flights.has(key) || flights.size >= cfg.max_flights) return;
    // A failed refresh keeps the stale entry; nothing waits on it.
    flights.run(key, () => fill(ctx, p, primary, query, fetch)).promise.catch(() => {});
  }

  function serveEntry(ctx: RequestCtx, res: AnyResponse, e: Entry, label: string): void {
    if (res.destroyed) return;
    const now = clock.now();
    const headers: Record<string, string | string[] | number> = { ...e.headers };
    headers.age = Math.max(0, Math.floor((now - e.storedAt) / 1000));
    headers[CACHE_HEADER] = label;
    const inm = ctx.headers['if-none-match'];
    if (e.etag !== undefined && inm !== undefined && (inm === e.etag || inm === `W/${e.etag}` || inm === '*')) {
      (res as ServerResponse).writeHead(304, headers);
      res.end();
      return;
    }
    headers['content-length'] = e.body.length;
    (res as ServerResponse).writeHead(e.status, addGatewayCookie(headers, ctx));
    if (ctx.method === 'HEAD') res.end();
    else res.end(e.body);
  }

  function serveOrigin(ctx: RequestCtx, res: AnyResponse, r: OriginResponse, label: string): void {
    if (res.destroyed) return;
    const headers: Record<string, string | string[] | number> = endToEnd(r.headers);
    headers[CACHE_HEADER] = label;
    const body = r.body ?? Buffer.alloc(0);
    headers['content-length'] = body.length;
    (res as ServerResponse).writeHead(r.status, addGatewayCookie(headers, ctx));
    if (ctx.method === 'HEAD') res.end();
    else res.end(body);
  }

  async function handle(
    ctx: RequestCtx,
    res: AnyResponse,
    fetch: FetchFromOrigin,
    depth: number,
  ): Promise<CacheOutcome> {
    const p = policyFor(ctx);
    if (p === undefined) return bypass();
    const { primary, query } = primaryKey(ctx, p);
    const now = clock.now();
    const passing = passUntil.get(primary);
    if (passing !== undefined) {
      if (passing > now) return bypass();
      passUntil.delete(primary);
    }
    const key = fullKey(ctx, primary);
    let stale = lru.get(key);
    if (stale !== undefined) {
      if (now < stale.freshUntil) {
        st.hits++;
        serveEntry(ctx, res, stale, 'hit');
        return 'hit';
      }
      const mode = opts.modePolicy?.();
      // stale-ok: stale first only while the origin is overloaded; stale-first: always (under attack).
      const staleFirst = mode === 'stale-first' || (mode === 'stale-ok' && opts.overloaded?.() === true);
      if (now < stale.swrUntil || (staleFirst && now < stale.sieUntil)) {
        st.stale++;
        serveEntry(ctx, res, stale, 'stale');
        refresh(ctx, p, key, primary, query, fetch);
        return 'stale';
      }
      if (now >= stale.sieUntil) {
        lru.delete(key);
        stale = undefined;
      }
    }
    if (!flights.has(key) && flights.size >= cfg.max_flights) return bypass();
    const { promise, leader } = flights.run(key, () => fill(ctx, p, primary, query, fetch));
    let out: Flight;
    try {
      out = await promise;
    } catch (err) {
      if (stale !== undefined) {
        st.stale++;
        serveEntry(ctx, res, stale, 'stale-error');
        return 'stale';
      }
      st.errors++;
      const timeout = err instanceof Error && /timeout/i.test(err.name + err.message);
      writeError(res, ctx, timeout ? 504 : 502, { rule: 'cache/origin-error' });
      return 'error';
    }
    switch (out.kind) {
      case 'stored':
        // A follower that joined before the Vary header was known may want another variant.
        if (!leader && out.vary.length > 0 && varyKey(primary, out.vary, ctx.headers) !== out.key && depth === 0) {
          return handle(ctx, res, fetch, 1);
        }
        st.misses++;
        serveEntry(ctx, res, out.entry, leader ? 'miss' : 'coalesced');
        return 'miss';
      case 'pass':
        // Private or uncacheable: only the client it was fetched for may see it; the others go through.
        if (!leader) return bypass();
        st.passes++;
        serveOrigin(ctx, res, out.response, 'pass');
        return 'pass';
      case 'too-large':
        return bypass();
      case 'origin-error':
        if (stale !== undefined) {
          st.stale++;
          serveEntry(ctx, res, stale, 'stale-error');
          return 'stale';
        }
        st.errors++;
        serveOrigin(ctx, res, out.response, 'error');
        return 'error';
    }
  }

  function bypass(): 'bypass' {
    st.bypasses++;
    return 'bypass';
  }

  return {
    handle: (ctx, res, fetch) => handle(ctx, res, fetch, 0),
    serves: (ctx) => policyFor(ctx) !== undefined,
    has(ctx) {
      const p = policyFor(ctx);
      if (p === undefined) return false;
      const e = lru.get(fullKey(ctx, primaryKey(ctx, p).primary));
      return e !== undefined && clock.now() < e.sieUntil;
    },
    stats: () => ({
      ...st,
      bytes: lru.bytes,
      entries: lru.size,
      evictions: lru.evictions,
      inFlight: flights.size,
    }),
  };
}
