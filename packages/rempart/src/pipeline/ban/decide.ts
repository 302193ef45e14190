import type { Config } from '../../config/schema.ts';
import type { BanEntry } from '../../state/store.ts';
import { PASS, type Verdict } from '../types.ts';

// Ban list lookups and the auto-ban rule. A ban names the rule that made it ("auto", "manual", a detector
// rule); the client sees 403 `ban/<rule>`. Allow-listed clients are never banned in effect.

export function decideBan(entry: BanEntry | undefined, allowListed: boolean): Verdict {
  if (entry === undefined || allowListed) return PASS;
  return { kind: 'block', rule: `ban/${entry.rule}`, status: 403 };
}

export interface AutoBanRule {
  /** "ban/auto": the trace and dry-run id. */
  readonly rule: string;
  readonly afterRefusals: number;
  readonly windowMs: number;
  readonly ttlMs: number;
  readonly maxTtlMs: number;
  readonly escalateWindowMs: number;
  readonly scope: 'ip' | 'prefix';
  readonly dryRun: boolean;
}

export const AUTO_BAN_NAME = 'auto';

export function compileAutoBan(c: Config['auto_ban']): AutoBanRule | undefined {
  if (c === undefined) return undefined;
  return {
    rule: `ban/${AUTO_BAN_NAME}`,
    afterRefusals: c.after_refusals,
    windowMs: c.window_s * 1000,
    ttlMs: c.ttl_s * 1000,
    maxTtlMs: Math.max(c.ttl_s, c.max_ttl_s) * 1000,
    escalateWindowMs: c.escalate_window_s * 1000,
    scope: c.scope,
    dryRun: c.mode === 'dry-run',
  };
}

/** The state key counting rate-limit refusals of a client for auto-ban. */
export function refusalKey(target: string): string {
  return `ab:${target}`;
}

/** The state key counting a client's auto-bans, for escalation. */
export function banCountKey(target: string): string {
  return `abn:${target}`;
}

/** True when the client has now been refused more than `afterRefusals` times within the window. */
export function overThreshold(refusals: number, r: AutoBanRule): boolean {
  return refusals > r.afterRefusals;
}

/**
 * The ban to write: `ttl_s` for a first offence, doubled for each earlier ban of the same client still
 * remembered (a flood that comes back after its ban gets a longer one), capped at `max_ttl_s`.
 */
export function autoBanEntry(target: string, now: number, r: AutoBanRule, earlierBans: number): BanEntry {
  const ttl = Math.min(r.maxTtlMs, r.ttlMs * 2 ** Math.min(30, Math.max(0, Math.floor(earlierBans))));
  const again = earlierBans >= 1 ? `, ban ${Math.floor(earlierBans) + 1} in a row` : '';
  return {
    target,
    rule: AUTO_BAN_NAME,
    reason: `more than ${r.afterRefusals} rate-limit refusals within ${r.windowMs / 1000} s${again}`,
    createdAt: now,
    expiresAt: now + ttl,
  };
}
