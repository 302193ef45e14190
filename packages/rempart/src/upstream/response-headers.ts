import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { connectionTokens, isHopByHop } from './hop-by-hop.ts';

// The origin's response headers minus what described its own connection to us (Connection: close from the
// origin closes that socket, not the client's). HTTP/2 responses must not carry these at all.

export function buildResponseHeaders(src: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const named = connectionTokens(src.connection);
  for (const name in src) {
    const value = src[name];
    if (value === undefined) continue;
    if (isHopByHop(name) || named?.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Trailers are forwarded minus the same hop-by-hop names; undefined when there is nothing to send. */
export function buildTrailers(src: IncomingHttpHeaders | null | undefined): Record<string, string> | undefined {
  if (!src) return undefined;
  let out: Record<string, string> | undefined;
  for (const name in src) {
    const value = src[name];
    if (value === undefined || isHopByHop(name)) continue;
    out ??= {};
    out[name] = typeof value === 'string' ? value : value.join(', ');
  }
  return out;
}
