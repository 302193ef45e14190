// Cookie lookup without parsing the whole header: `key` is "name=" and must start the header or follow "; ".
// Used on the hot path (clearance cookie, known sessions), so it allocates only the value it returns.

/**
 * True when every cookie in the header is one of `keys` ("name=" each): cookies the gateway itself set and reads
 * (clearance, visitor pass), which say nothing to the origin about who is asking. Allocation-free.
 */
export function onlyCookies(header: string | string[] | undefined, keys: readonly string[]): boolean {
  if (header === undefined) return true;
  const h = typeof header === 'string' ? header : header.join('; ');
  let i = 0;
  while (i < h.length) {
    while (i < h.length && (h.charCodeAt(i) === 32 || h.charCodeAt(i) === 59)) i++;
    if (i >= h.length) break;
    let known = false;
    for (const k of keys) {
      if (h.startsWith(k, i)) {
        known = true;
        break;
      }
    }
    if (!known) return false;
    const end = h.indexOf(';', i);
    if (end < 0) break;
    i = end + 1;
  }
  return true;
}

export function readCookie(header: string | string[] | undefined, key: string): string | undefined {
  if (header === undefined) return undefined;
  const h = typeof header === 'string' ? header : header.join('; ');
  let from = 0;
  for (;;) {
    const j = h.indexOf(key, from);
    if (j < 0) return undefined;
    const before = j === 0 ? 32 : h.charCodeAt(j - 1);
    if (before === 32 || before === 59) {
      const end = h.indexOf(';', j);
      return h.slice(j + key.length, end < 0 ? undefined : end).trim();
    }
    from = j + 1;
  }
}
