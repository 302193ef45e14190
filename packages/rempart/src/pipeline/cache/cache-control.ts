// Cache-Control as the micro-cache needs it: may a shared cache store this response, for how long,
// and how long may it serve it stale. Parsed once per origin response (misses only).

export interface Directives {
  noStore: boolean;
  private: boolean;
  noCache: boolean;
  maxAge?: number;
  sMaxAge?: number;
  staleWhileRevalidate?: number;
  staleIfError?: number;
}

export function parseCacheControl(value: string | string[] | undefined): Directives {
  const d: Directives = { noStore: false, private: false, noCache: false };
  if (value === undefined) return d;
  const text = Array.isArray(value) ? value.join(',') : value;
  for (const raw of text.split(',')) {
    const part = raw.trim().toLowerCase();
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq).trim();
    const arg = eq < 0 ? undefined : Number.parseInt(part.slice(eq + 1).replace(/"/g, ''), 10);
    const n = arg !== undefined && Number.isFinite(arg) && arg >= 0 ? arg : undefined;
    switch (name) {
      case 'no-store':
        d.noStore = true;
        break;
      case 'private':
        d.private = true;
        break;
      case 'no-cache':
        d.noCache = true;
        break;
      case 'max-age':
        d.maxAge = n;
        break;
      case 's-maxage':
        d.sMaxAge = n;
        break;
      case 'stale-while-revalidate':
        d.staleWhileRevalidate = n;
        break;
      case 'stale-if-error':
        d.staleIfError = n;
        break;
    }
  }
  return d;
}

const CACHEABLE_STATUS = new Set([200, 203, 204, 301, 404, 410]);

export interface StorePlan {
  readonly ttlMs: number;
  readonly swrMs: number;
  readonly sieMs: number;
}

/**
 * Whether to store, and the windows: the route's ttl, shortened (never lengthened) by s-maxage or
 * max-age; stale windows from the response when it gives them, else the route's.
 * Returns a reason string when the response must not be stored.
 */
export function planStore(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  route: { ttl_s: number; stale_while_revalidate_s: number; stale_if_error_s: number },
): StorePlan | string {
  if (!CACHEABLE_STATUS.has(status)) return `status ${status}`;
  if (headers['set-cookie'] !== undefined) return 'set-cookie';
  const vary = headers.vary;
  if (vary !== undefined && String(vary).includes('*')) return 'vary *';
  const d = parseCacheControl(headers['cache-control']);
  if (d.noStore) return 'no-store';
  if (d.private) return 'private';
  if (d.noCache) return 'no-cache';
  const origin = d.sMaxAge ?? d.maxAge;
  const ttlS = origin === undefined ? route.ttl_s : Math.min(route.ttl_s, origin);
  if (ttlS <= 0) return 'max-age=0';
  return {
    ttlMs: ttlS * 1000,
    swrMs: (d.staleWhileRevalidate ?? route.stale_while_revalidate_s) * 1000,
    sieMs: (d.staleIfError ?? route.stale_if_error_s) * 1000,
  };
}
