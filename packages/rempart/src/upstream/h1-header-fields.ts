// Field-level checks shared by the response parser (names, values, framing headers) and the request writer.
// Plain loops over char codes: no regex, no allocation on the common path.

/** RFC 9110 tchar by code: 0 not allowed in a field name, 1 allowed, 3 an upper-case letter. */
export const TCHAR = new Uint8Array(65536);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = 3;
for (let c = 97; c <= 122; c++) TCHAR[c] = 1;

/** s[from, to) as a field name: -1 when not a non-empty token, 1 when it holds upper-case letters, else 0. */
export function tokenCase(s: string, from: number, to: number): number {
  if (from >= to) return -1;
  let all = 3;
  let any = 0;
  for (let i = from; i < to; i++) {
    const t = TCHAR[s.charCodeAt(i)];
    all &= t;
    any |= t;
  }
  return all === 0 ? -1 : any >> 1;
}

/** 1 for the codes allowed in a field value: HTAB, SP, visible ASCII, obs-text (0x80-0xFF); 0 for the rest. */
export const VALUE_OK = new Uint8Array(65536);
VALUE_OK[9] = 1;
for (let c = 32; c < 256; c++) if (c !== 127) VALUE_OK[c] = 1;

/**
 * Checks s[from, to) as a field value. Returns -1 when a code is not allowed (controls, DEL, above 0xFF), 1 when
 * all codes are ASCII, 0 when some are obs-text. One branch-free pass (a table, not a regex).
 */
export function valueKind(s: string, from: number, to: number): number {
  let ok = 1;
  let any = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    ok &= VALUE_OK[c];
    any |= c;
  }
  return ok === 0 ? -1 : any < 128 ? 1 : 0;
}

/** Content-Length: 1*DIGIT, at most 15 digits (stays a safe integer); -1 when malformed. */
export function parseLength(v: string): number {
  const n = v.length;
  if (n === 0 || n > 15) return -1;
  let out = 0;
  for (let i = 0; i < n; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    out = out * 10 + d;
  }
  return out;
}

function isOws(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Calls `seen` with each comma-separated token of a list header, trimmed and lower-cased. Rare path: the
 * callers test the usual single lower-case value first.
 */
export function eachToken(v: string, seen: (token: string) => void): void {
  const l = v.toLowerCase();
  let start = 0;
  for (let i = 0; i <= l.length; i++) {
    if (i < l.length && l.charCodeAt(i) !== 44 /* , */) continue;
    let a = start;
    let b = i;
    while (a < b && isOws(l.charCodeAt(a))) a++;
    while (b > a && isOws(l.charCodeAt(b - 1))) b--;
    if (b > a) seen(l.slice(a, b));
    start = i + 1;
  }
}

/** Transfer-Encoding that this client accepts: exactly one coding, chunked (any other coding is refused). */
export function isChunkedOnly(te: string): boolean {
  if (te === 'chunked') return true;
  let chunked = 0;
  let other = 0;
  eachToken(te, (t) => {
    if (t === 'chunked') chunked++;
    else other++;
  });
  return chunked === 1 && other === 0;
}

/** Keep-Alive: timeout=N → N seconds in ms; -1 when absent or malformed. */
export function keepAliveTimeoutMs(v: string): number {
  let at = v.startsWith('timeout=') ? 0 : v.toLowerCase().indexOf('timeout=');
  if (at < 0) return -1;
  at += 8;
  let n = 0;
  let digits = 0;
  for (; at < v.length && digits < 9; at++, digits++) {
    const d = v.charCodeAt(at) - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  return digits === 0 ? -1 : n * 1000;
}

/** Field names origins commonly send, by length: matched in place, they cost no slice, lowercasing or interning. */
const KNOWN: string[][] = [];
for (const name of [
  'age',
  'via',
  'date',
  'etag',
  'link',
  'vary',
  'server',
  'pragma',
  'alt-svc',
  'expires',
  'trailer',
  'location',
  'connection',
  'keep-alive',
  'set-cookie',
  'content-type',
  'x-powered-by',
  'x-request-id',
  'retry-after',
  'accept-ranges',
  'cache-control',
  'last-modified',
  'content-length',
  'content-language',
  'content-encoding',
  'referrer-policy',
  'x-frame-options',
  'transfer-encoding',
  'www-authenticate',
  'content-disposition',
  'x-content-type-options',
  'content-security-policy',
  'strict-transport-security',
  'access-control-allow-origin',
]) {
  KNOWN[name.length] ??= [];
  KNOWN[name.length].push(name);
}

/**
 * The interned lower-case constant equal (ASCII case-insensitively) to s[from, to), or undefined. Only letters
 * fold: a byte matches a candidate's letter when equal to it or to its upper case, any other byte only itself.
 */
export function knownName(s: string, from: number, to: number): string | undefined {
  const list = KNOWN[to - from];
  if (list === undefined) return undefined;
  for (let k = 0; k < list.length; k++) {
    const cand = list[k];
    let i = 0;
    for (; i < cand.length; i++) {
      const c = s.charCodeAt(from + i);
      const w = cand.charCodeAt(i);
      if (c !== w && (w < 97 || c !== w - 32)) break;
    }
    if (i === cand.length) return cand;
  }
  return undefined;
}
