import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type Cidr, cidrContains, ipToWords, parseCidr, type Words } from '../../core/ip-prefix.ts';
import { PASS, type Verdict } from '../types.ts';

// Allow and deny lists. CIDR (IPv4 + IPv6): when both lists hold a block containing the client, the more
// specific block wins ("deny 10.0.0.0/8, allow 10.1.2.3" lets 10.1.2.3 in); at equal length deny wins.
// Credentials allow-list too, never past a deny: a client certificate verified by the listener
// (tls.allow_client_certs) or a partner/monitoring token in a header (access.allow_tokens). Tokens are kept
// as SHA-256 digests only; a request's header is hashed only when present and compared with timingSafeEqual
// against every token of that header, so neither the match nor its position shows in the timing.

export interface AllowToken {
  readonly name: string;
  readonly header: string;
  readonly token: string;
}

interface TokenEntry {
  /** access/allow-token:NAME */
  readonly rule: string;
  readonly digest: Buffer;
}

export interface TokenTable {
  /** Lowercased header names, in config order: the only headers a request is looked at for. */
  readonly headers: readonly string[];
  readonly byHeader: ReadonlyMap<string, readonly TokenEntry[]>;
}

export interface AccessParams {
  readonly allow: readonly Cidr[];
  readonly deny: readonly Cidr[];
  readonly tokens: TokenTable;
  /** Listener name → access/allow-mtls:NAME, for listeners whose verified client certificates allow-list. */
  readonly mtls: ReadonlyMap<string, string>;
  /** The token headers (lowercased): never sent to the origin. */
  readonly stripHeaders: ReadonlySet<string>;
}

/** What the listener proved about the connection: its client certificate chains to the listener's client_ca. */
export interface ClientCert {
  readonly listener: string;
  /** Subject CN ("" when none). */
  readonly cn: string;
}

export interface AccessFacts {
  readonly ip: string;
  readonly headers: IncomingHttpHeaders;
  readonly clientCert?: ClientCert;
}

export type AccessDecision = {
  readonly verdict: Verdict;
  readonly allowListed: boolean;
  /** Why the client is allow-listed (access/allow-cidr, access/allow-mtls:L, access/allow-token:N). */
  readonly rule?: string;
  /** For the trace: the client certificate's subject (cn=…). */
  readonly detail?: string;
};

export const DENY_VERDICT: Verdict = Object.freeze({ kind: 'block', rule: 'access/deny-cidr', status: 403 });
export const ALLOW_CIDR_RULE = 'access/allow-cidr';
const ALLOWED: AccessDecision = Object.freeze({ verdict: PASS, allowListed: true, rule: ALLOW_CIDR_RULE });
const NEUTRAL: AccessDecision = Object.freeze({ verdict: PASS, allowListed: false });
const DENIED: AccessDecision = Object.freeze({ verdict: DENY_VERDICT, allowListed: false });

const sha256 = (s: string): Buffer => crypto.createHash('sha256').update(s, 'latin1').digest();

export function compileTokens(tokens: readonly AllowToken[]): TokenTable {
  const byHeader = new Map<string, TokenEntry[]>();
  for (const t of tokens) {
    const h = t.header.toLowerCase();
    const list = byHeader.get(h) ?? [];
    byHeader.set(h, list);
    list.push({ rule: `access/allow-token:${t.name}`, digest: sha256(t.token) });
  }
  return { headers: [...byHeader.keys()], byHeader };
}

export function compileAccess(
  allow: readonly string[],
  deny: readonly string[],
  extra: { tokens?: readonly AllowToken[]; mtlsListeners?: readonly string[] } = {},
): AccessParams {
  const tokens = compileTokens(extra.tokens ?? []);
  return {
    allow: allow.map(parseCidr),
    deny: deny.map(parseCidr),
    tokens,
    mtls: new Map((extra.mtlsListeners ?? []).map((l) => [l, `access/allow-mtls:${l}`])),
    stripHeaders: new Set(tokens.headers),
  };
}

/** Longest matching prefix length in the 128-bit space, or -1. */
function longest(list: readonly Cidr[], w: Words): number {
  let best = -1;
  for (let i = 0; i < list.length; i++) if (list[i].bits > best && cidrContains(list[i], w)) best = list[i].bits;
  return best;
}

/** The CIDR lists alone. */
export function decideAccess(ip: string, p: Pick<AccessParams, 'allow' | 'deny'>): AccessDecision {
  if (p.allow.length === 0 && p.deny.length === 0) return NEUTRAL;
  const w = ipToWords(ip);
  if (w === undefined) return NEUTRAL;
  const a = longest(p.allow, w);
  const d = longest(p.deny, w);
  if (d >= 0 && d >= a) return DENIED;
  return a >= 0 ? ALLOWED : NEUTRAL;
}

/**
 * The rule of the allow token the request carries, or undefined. A header is hashed only when the request
 * has it (one value: a repeated header is no token), and its digest is compared with every token of that
 * header, match or not. Digests have one length, so timingSafeEqual never throws.
 */
export function decideToken(headers: IncomingHttpHeaders, t: TokenTable): string | undefined {
  const names = t.headers;
  for (let i = 0; i < names.length; i++) {
    const v = headers[names[i]];
    if (typeof v !== 'string' || v.length === 0) continue;
    const got = sha256(v);
    const list = t.byHeader.get(names[i]) as readonly TokenEntry[];
    let found: string | undefined;
    for (let j = 0; j < list.length; j++) {
      const same = crypto.timingSafeEqual(got, list[j].digest);
      if (same && found === undefined) found = list[j].rule;
    }
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The rule of a verified client certificate on a listener that allow-lists them, or undefined. */
export function decideClientCert(cert: ClientCert | undefined, mtls: AccessParams['mtls']): string | undefined {
  return cert === undefined ? undefined : mtls.get(cert.listener);
}

/** CIDR lists first (a deny refuses whatever credential comes with it), then client certificate, then token. */
export function decideRequestAccess(f: AccessFacts, p: AccessParams): AccessDecision {
  const d = decideAccess(f.ip, p);
  if (d.verdict.kind !== 'pass' || d.allowListed) return d;
  const cert = f.clientCert;
  const mtls = decideClientCert(cert, p.mtls);
  if (mtls !== undefined)
    return { verdict: PASS, allowListed: true, rule: mtls, detail: cert?.cn ? `cn=${cert.cn}` : undefined };
  const token = decideToken(f.headers, p.tokens);
  return token === undefined ? NEUTRAL : { verdict: PASS, allowListed: true, rule: token };
}
