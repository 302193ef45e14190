// Cookie lookup without parsing the whole header: `key` is "name=" and must start the header or follow "; ".
// Used on the hot path (clearance cookie, known sessions), so it allocates only the value it returns.

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
