import { isIP } from 'node:net';
import { type CidrSet, clientPrefix, normaliseIp } from '../../core/ip-prefix.ts';

// Who the client is. The TCP peer (or the PROXY protocol source) is the client unless it is a trusted proxy;
// then the forwarding header is walked from the right, skipping trusted hops, and the first untrusted
// address is the client (everything left of it was written by the client and can be forged).

export type ForwardedHeader = 'x-forwarded-for' | 'forwarded';

export interface IdentityFacts {
  readonly peerIp: string;
  /** Raw header value(s) of the configured forwarding header, if present. */
  readonly forwarded: string | string[] | undefined;
}

export interface IdentityParams {
  readonly trusted: CidrSet;
  readonly header: ForwardedHeader;
}

/** Strips brackets, quotes and ports from one hop ("[2001:db8::1]:443", "\"198.51.100.7:80\""). */
function hopAddress(raw: string, forwardedSyntax: boolean): string | undefined {
  let s = raw.trim();
  if (forwardedSyntax) {
    // Forwarded: for=...;proto=... — keep only the for= parameter of this element.
    let found: string | undefined;
    for (const param of s.split(';')) {
      const eq = param.indexOf('=');
      if (eq > 0 && param.slice(0, eq).trim().toLowerCase() === 'for') found = param.slice(eq + 1).trim();
    }
    if (found === undefined) return undefined;
    s = found;
  }
  if (s.startsWith('"') && s.endsWith('"') && s.length >= 2) s = s.slice(1, -1);
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    s = close > 0 ? s.slice(1, close) : s;
  } else if (s.indexOf(':') === s.lastIndexOf(':') && s.indexOf(':') > 0) {
    s = s.slice(0, s.indexOf(':')); // IPv4 with port
  }
  s = normaliseIp(s);
  return isIP(s) === 0 ? undefined : s;
}

function hops(v: string | string[]): string[] {
  return (typeof v === 'string' ? v : v.join(',')).split(',');
}

export function decideClientIp(f: IdentityFacts, p: IdentityParams): string {
  const peer = normaliseIp(f.peerIp);
  if (p.trusted.size === 0 || f.forwarded === undefined || p.trusted.match(peer) === undefined) return peer;
  const list = hops(f.forwarded);
  const fwdSyntax = p.header === 'forwarded';
  let client = peer;
  for (let i = list.length - 1; i >= 0; i--) {
    const ip = hopAddress(list[i], fwdSyntax);
    // Garbage (or "unknown") written by a trusted hop: stop at that hop rather than guess further left.
    if (ip === undefined) return client;
    client = ip;
    if (p.trusted.match(ip) === undefined) return ip;
  }
  return client; // every hop trusted: the leftmost is the best we know
}

export interface ClientIdentity {
  readonly ip: string;
  readonly prefix: string;
}

export function decideIdentity(f: IdentityFacts, p: IdentityParams): ClientIdentity {
  const ip = decideClientIp(f, p);
  return { ip, prefix: clientPrefix(ip) };
}
