import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { clientPrefix, normaliseIp } from '../core/ip-prefix.ts';

// Validation of operator bans. Targets are stored in the form the ban stage looks up: a single address, or the
// client aggregation prefix (/24 for IPv4, /64 for IPv6) as core/ip-prefix.ts clientPrefix() writes it.

const MAX_TTL_S = 30 * 24 * 3600;

/** Canonical ban target, or an error message for people. */
export function canonicalTarget(raw: string): { ok: true; target: string } | { ok: false; message: string } {
  const text = raw.trim();
  const slash = text.indexOf('/');
  const addr = normaliseIp(slash < 0 ? text : text.slice(0, slash));
  const v4 = isIPv4(addr);
  if (!v4 && (!isIPv6(addr) || addr.includes('%')))
    return { ok: false, message: `"${raw}" is not an IP address or prefix` };
  const canonical = v4 ? addr : new URL(`http://[${addr}]`).hostname.slice(1, -1);
  if (slash < 0) return { ok: true, target: canonical };
  const len = text.slice(slash + 1);
  const want = v4 ? '24' : '64';
  if (len !== want && len !== (v4 ? '32' : '128')) {
    return {
      ok: false,
      message: `prefix must be /${want} (or a single address); use access.deny in the config for other blocks`,
    };
  }
  return { ok: true, target: len === want ? clientPrefix(canonical) : canonical };
}

export const banInputSchema = z
  .object({
    target: z.string().min(1).max(64),
    ttl_s: z.number().int().positive().max(MAX_TTL_S),
    reason: z.string().min(1).max(200).default('operator'),
  })
  .strict()
  .transform((v, ctx) => {
    const t = canonicalTarget(v.target);
    if (!t.ok) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: t.message });
      return z.NEVER;
    }
    return { ...v, target: t.target };
  });

export type BanInput = z.output<typeof banInputSchema>;

/** zod issues → { field: [messages] } for the 400 body. */
export function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const field = issue.path.length === 0 ? '_' : issue.path.join('.');
    const list = out[field] ?? [];
    list.push(issue.message);
    out[field] = list;
  }
  return out;
}
