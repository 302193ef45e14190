// The byte classes and name tables of the HTTP/1.1 request-head parser (request-head.ts), built once at load.

/** tchar (RFC 9110 §5.6.2): 1 = allowed in a token, 2 = allowed and an upper-case letter. */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = 2;

/** Field-value bytes: visible ASCII, SP, HTAB and obs-text; never CTLs or DEL. Request-target: no SP either. */
export const VCHAR = new Uint8Array(256);
for (let c = 32; c < 256; c++) VCHAR[c] = c === 127 ? 0 : 1;
VCHAR[9] = 1; // HTAB
export const TARGET = new Uint8Array(256);
for (let c = 33; c < 256; c++) TARGET[c] = c === 127 ? 0 : 1;

/** Methods the parser knows (RFC 9110 and common extensions); hygiene decides which ones are served. */
export const METHODS = new Map<string, string>();
for (const m of [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'REPORT',
  'PURGE',
  'QUERY',
])
  METHODS.set(m, m);

/** Repeats of these are dropped (IncomingMessage's list): the first value wins. */
export const SINGLE = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/**
 * Common lower-case names, matched on their bytes so the hot path neither allocates nor hashes a new string
 * for them. Indexed by length; each entry holds the name's bytes and its interned string.
 */
const KNOWN: { bytes: Uint8Array; name: string }[][] = [];
for (const name of [
  'host',
  'accept',
  'accept-encoding',
  'accept-language',
  'user-agent',
  'connection',
  'content-length',
  'content-type',
  'cookie',
  'referer',
  'origin',
  'cache-control',
  'pragma',
  'upgrade-insecure-requests',
  'sec-fetch-site',
  'sec-fetch-mode',
  'sec-fetch-dest',
  'sec-fetch-user',
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-request-id',
  'authorization',
  'if-none-match',
  'if-modified-since',
  'transfer-encoding',
  'expect',
  'forwarded',
  'dnt',
  'priority',
  'te',
  'via',
]) {
  const bytes = Buffer.from(name, 'latin1');
  KNOWN[bytes.length] ??= [];
  KNOWN[bytes.length].push({ bytes, name });
}

export function knownName(buf: Uint8Array, start: number, end: number): string | undefined {
  const list = KNOWN[end - start];
  if (list === undefined) return undefined;
  outer: for (let k = 0; k < list.length; k++) {
    const b = list[k].bytes;
    for (let i = 0; i < b.length; i++) if ((buf[start + i] | 0x20) !== b[i] && buf[start + i] !== b[i]) continue outer;
    return list[k].name;
  }
  return undefined;
}
