import { type Cidr, cidrContains, ipToWords, parseCidr, type Words } from '../../core/ip-prefix.ts';
import { PASS, type Verdict } from '../types.ts';

// Allow and deny lists (IPv4 + IPv6 CIDR). When both lists hold a block containing the client, the more
// specific block wins ("deny 10.0.0.0/8, allow 10.1.2.3" lets 10.1.2.3 in); at equal length deny wins.

export interface AccessParams {
  readonly allow: readonly Cidr[];
  readonly deny: readonly Cidr[];
}

export type AccessDecision = { readonly verdict: Verdict; readonly allowListed: boolean };

export const DENY_VERDICT: Verdict = Object.freeze({ kind: 'block', rule: 'access/deny-cidr', status: 403 });
const ALLOWED: AccessDecision = Object.freeze({ verdict: PASS, allowListed: true });
const NEUTRAL: AccessDecision = Object.freeze({ verdict: PASS, allowListed: false });
const DENIED: AccessDecision = Object.freeze({ verdict: DENY_VERDICT, allowListed: false });

export function compileAccess(allow: readonly string[], deny: readonly string[]): AccessParams {
  return { allow: allow.map(parseCidr), deny: deny.map(parseCidr) };
}

/** Longest matching prefix length in the 128-bit space, or -1. */
function longest(list: readonly Cidr[], w: Words): number {
  let best = -1;
  for (let i = 0; i < list.length; i++) if (list[i].bits > best && cidrContains(list[i], w)) best = list[i].bits;
  return best;
}

export function decideAccess(ip: string, p: AccessParams): AccessDecision {
  if (p.allow.length === 0 && p.deny.length === 0) return NEUTRAL;
  const w = ipToWords(ip);
  if (w === undefined) return NEUTRAL;
  const a = longest(p.allow, w);
  const d = longest(p.deny, w);
  if (d >= 0 && d >= a) return DENIED;
  return a >= 0 ? ALLOWED : NEUTRAL;
}
