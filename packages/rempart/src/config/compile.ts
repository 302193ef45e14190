import { type AccessParams, compileAccess } from '../pipeline/access/decide.ts';
import { type AutoBanRule, compileAutoBan } from '../pipeline/ban/decide.ts';
import { compileIdentity } from '../pipeline/identity/compile.ts';
import type { IdentityParams } from '../pipeline/identity/decide.ts';
import { compileDistinctRule, compileRateRule, type ModeMultipliers } from '../pipeline/ratelimit/compile.ts';
import { compileRoutes, type LimitRule, type RouteTable } from '../pipeline/route/compile.ts';
import type { Config } from './schema.ts';

// Config → Policy: everything the hot path reads, precompiled once (regexes, CIDR sets, key builders).
// Each defence compiles its own part (pipeline/<stage>/compile.ts or decide.ts) and this file only assembles
// them. A Policy is immutable and replaced whole on reload (deps.policy = compilePolicy(next)).
export interface Policy {
  readonly config: Config;
  readonly identity: IdentityParams;
  readonly access: AccessParams;
  /** Every rate and distinct rule in config order (rates first); routes hold the subsets that apply to them. */
  readonly limits: readonly LimitRule[];
  readonly routes: RouteTable;
  readonly autoBan: AutoBanRule | undefined;
}

export function compilePolicy(config: Config): Policy {
  const modes = config.detect.modes;
  const m: ModeMultipliers = {
    normal: modes.normal.limit_multiplier,
    elevated: modes.elevated.limit_multiplier,
    'under-attack': modes.under_attack.limit_multiplier,
  };
  const limits: LimitRule[] = [
    ...config.rate_limits.map((r) => compileRateRule(r, m)),
    ...config.distinct_limits.map((r) => compileDistinctRule(r, m)),
  ];
  return {
    config,
    identity: compileIdentity(config),
    access: compileAccess(config.access.allow, config.access.deny, {
      tokens: config.access.allow_tokens,
      mtlsListeners: config.listeners.filter((l) => l.tls?.allow_client_certs === true).map((l) => l.name),
    }),
    limits,
    routes: compileRoutes(config, limits),
    autoBan: compileAutoBan(config.auto_ban),
  };
}
