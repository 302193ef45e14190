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
    scope: c.scope,
    dryRun: c.mode === 'dry-run',
  };
}

/** The state key counting rate-limit refusals of a client for auto-ban. */
export function refusalKey(target: string): string {
  return `ab:${target}`;
}

/**
 * After one more enforced refusal: the ban to write (or to trace in dry-run) when the client has now been
 * refused more than `afterRefusals` times within the window; undefined otherwise.
 */
export function decideAutoBan(refusals: number, target: string, now: number, r: AutoBanRule): BanEntry | undefined {
  if (refusals <= r.afterRefusals) return undefined;
  return {
    target,
    rule: AUTO_BAN_NAME,
    reason: `more than ${r.afterRefusals} rate-limit refusals within ${r.windowMs / 1000} s`,
    createdAt: now,
    expiresAt: now + r.ttlMs,
  };
}
