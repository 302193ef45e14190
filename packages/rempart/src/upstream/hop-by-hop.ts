// Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, never the message: a proxy drops them both ways.
// `expect` is dropped too: Node answers 100-continue to the client itself and the origin pool refuses to send it.
const HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'expect',
]);

/** True for a header that must not cross the gateway. Names are lower-case (Node and H1Pool give them so). */
export function isHopByHop(name: string): boolean {
  // ':' pseudo-headers (h2) and proxy-* (Proxy-Connection, Proxy-Authorization meant for us) never go on.
  const c = name.charCodeAt(0);
  if (c === 58 /* : */) return true;
  if (c === 112 /* p */ && name.startsWith('proxy-')) return true;
  return HOP.has(name);
}

/** The extra names listed in a Connection header ("close, x-foo"), lower-cased; undefined when none. */
export function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  // Origins answer "keep-alive" (node:http on every response) or "close": nothing extra, nothing to allocate.
  if (value === undefined || value === 'keep-alive' || value === 'close') return undefined;
  const text = typeof value === 'string' ? value : value.join(',');
  let out: Set<string> | undefined;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text.charCodeAt(i) === 44 /* , */) {
      const token = text.slice(start, i).trim().toLowerCase();
      start = i + 1;
      // close/keep-alive are the common values and are dropped anyway as the Connection header itself.
      if (token === '' || token === 'close' || token === 'keep-alive') continue;
      out ??= new Set();
      out.add(token);
    }
  }
  return out;
}
