// Cache keys: host + path + only the allowed query parameters, sorted, so ?b=2&a=1, ?a=1&b=2&utm=x and
// ?a=1&b=2&<random>=<random> are one entry and a cache-busting flood of random parameters hits it.

export function normaliseQuery(query: string, allow: ReadonlySet<string>): string {
  if (query.length === 0 || allow.size === 0) return '';
  const kept: string[] = [];
  let from = 0;
  for (let i = 0; i <= query.length; i++) {
    if (i === query.length || query.charCodeAt(i) === 38 /* & */) {
      if (i > from) {
        const pair = query.slice(from, i);
        const eq = pair.indexOf('=');
        const name = eq < 0 ? pair : pair.slice(0, eq);
        if (allow.has(name)) kept.push(pair);
      }
      from = i + 1;
    }
  }
  if (kept.length > 1) kept.sort();
  return kept.join('&');
}

export function cacheKey(host: string | undefined, path: string, normalisedQuery: string): string {
  const h = host === undefined ? '' : host.toLowerCase();
  return normalisedQuery.length === 0 ? `${h}${path}` : `${h}${path}?${normalisedQuery}`;
}

/** The request-header values a stored response varies on, appended to the key. */
export function varyKey(
  base: string,
  names: readonly string[],
  headers: Record<string, string | string[] | undefined>,
): string {
  let k = base;
  for (const n of names) {
    const v = headers[n];
    k += `\n${n}:${Array.isArray(v) ? v.join(',') : (v ?? '')}`;
  }
  return k;
}
