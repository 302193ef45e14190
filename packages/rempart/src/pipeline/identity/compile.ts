import type { Config } from '../../config/schema.ts';
import { CidrSet } from '../../core/ip-prefix.ts';
import type { IdentityParams } from './decide.ts';

export function compileIdentity(c: Config): IdentityParams {
  return { trusted: new CidrSet(c.trusted_proxies), header: c.forwarded_header ?? 'x-forwarded-for' };
}
