import type { IncomingHttpHeaders } from 'node:http';
import type { RequestCtx } from '../pipeline/types.ts';
import { connectionTokens, isHopByHop } from './hop-by-hop.ts';

// Builds the header list sent to the origin as a flat [name, value, …] array (H1Pool's, and undici's, cheapest form).
// The forwarding headers are trusted from the client only when the TCP peer is a trusted proxy; otherwise
// they are replaced, so a client cannot forge its own X-Forwarded-For or request id.

export interface ForwardFacts {
  /** The TCP peer is one of config.trusted_proxies: its forwarding headers are kept and extended. */
  peerTrusted: boolean;
  /** Longest incoming X-Request-Id kept from a trusted proxy; longer ones are replaced by ours. */
  maxRequestIdLength?: number;
  /** Lowercased names never sent on (access.allow_tokens headers: a partner's secret stays at the gateway). */
  strip?: ReadonlySet<string>;
}

const OWN = new Set(['x-forwarded-for', 'x-forwarded-proto', 'forwarded', 'x-request-id', 'via']);

function first(v: string | string[] | undefined): string | undefined {
  return v === undefined ? undefined : typeof v === 'string' ? v : v.join(', ');
}

/**
 * RFC 7239 node: IPv6 is bracketed and quoted; IPv4 is a bare token. The addresses given here are normalised
 * (v4-mapped ones are plain IPv4), so an address is IPv6 exactly when it holds a colon: no isIPv6() regex.
 */
export function forwardedNode(ip: string): string {
  return ip.indexOf(':') < 0 ? ip : `"[${ip}]"`;
}

/** Our Via entry per client protocol version: constants, not a string made per request. */
function viaOf(v: RequestCtx['httpVersion']): string {
  return v === '1.1' ? '1.1 rempart' : v === '2.0' ? '2 rempart' : '1.0 rempart';
}

export function buildRequestHeaders(
  src: IncomingHttpHeaders,
  ctx: Pick<RequestCtx, 'id' | 'peerIp' | 'client' | 'tls' | 'httpVersion'>,
  facts: ForwardFacts,
): string[] {
  const out: string[] = [];
  const named = connectionTokens(src.connection);
  const strip = facts.strip !== undefined && facts.strip.size > 0 ? facts.strip : undefined;
  let host: string | undefined;
  for (const name in src) {
    const value = src[name];
    if (value === undefined) continue;
    if (name === ':authority') {
      host ??= first(value);
      continue;
    }
    if (isHopByHop(name) || OWN.has(name) || named?.has(name) || strip?.has(name)) continue;
    if (name === 'host') {
      host = first(value);
      continue;
    }
    if (typeof value === 'string') out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
  if (host !== undefined) out.push('host', host);

  const proto = ctx.tls ? 'https' : 'http';
  const clientIp = ctx.client?.ip ?? ctx.peerIp;
  const inXff = facts.peerTrusted ? first(src['x-forwarded-for']) : undefined;
  out.push('x-forwarded-for', inXff ? `${inXff}, ${ctx.peerIp}` : clientIp);
  const inProto = facts.peerTrusted ? first(src['x-forwarded-proto']) : undefined;
  out.push('x-forwarded-proto', inProto ?? proto);
  const inFwd = facts.peerTrusted ? first(src.forwarded) : undefined;
  let element = `for=${forwardedNode(inFwd ? ctx.peerIp : clientIp)};proto=${proto}`;
  if (host !== undefined && host.indexOf('"') < 0) element += `;host="${host}"`;
  out.push('forwarded', inFwd ? `${inFwd}, ${element}` : element);
  const inId = facts.peerTrusted ? first(src['x-request-id']) : undefined;
  const idOk = inId !== undefined && inId.length > 0 && inId.length <= (facts.maxRequestIdLength ?? 128);
  out.push('x-request-id', idOk ? (inId as string) : ctx.id);
  const inVia = first(src.via);
  const via = viaOf(ctx.httpVersion);
  out.push('via', inVia ? `${inVia}, ${via}` : via);
  return out;
}
