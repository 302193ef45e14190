// Failed-login throttling per network prefix (/24 for IPv4, /48 for IPv6): credential stuffing comes from
// many accounts tried from few networks, so the per-account lock-out alone does not see it. Pure decide()
// over a bounded table; the per-account counter and lock live in the database (they must survive restarts).

export type PrefixParams = { maxFailures: number; windowMs: number; capacity: number };
export const defaultPrefixParams: PrefixParams = { maxFailures: 20, windowMs: 60_000, capacity: 50_000 };
export const ACCOUNT_LOCK_AFTER = 5;

type Entry = { windowStart: number; failures: number };
export type PrefixVerdict = { allow: true } | { allow: false; retryAfterS: number };

export function decidePrefix(entry: Entry | undefined, now: number, p: PrefixParams): PrefixVerdict {
  if (!entry || now - entry.windowStart >= p.windowMs || entry.failures < p.maxFailures) return { allow: true };
  return { allow: false, retryAfterS: Math.max(1, Math.ceil((entry.windowStart + p.windowMs - now) / 1000)) };
}

export function networkPrefix(ip: string): string {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (v4.includes('.')) return `${v4.slice(0, v4.lastIndexOf('.'))}.0/24`;
  const parts = ip.split(':');
  return `${parts.slice(0, 3).join(':')}::/48`;
}

export class LoginThrottle {
  private readonly table = new Map<string, Entry>();
  private readonly params: PrefixParams;
  constructor(params: PrefixParams = defaultPrefixParams) {
    this.params = params;
  }

  check(ip: string, now: number): PrefixVerdict {
    return decidePrefix(this.table.get(networkPrefix(ip)), now, this.params);
  }

  recordFailure(ip: string, now: number): void {
    const key = networkPrefix(ip);
    let e = this.table.get(key);
    if (!e || now - e.windowStart >= this.params.windowMs) {
      if (e) this.table.delete(key);
      e = { windowStart: now, failures: 0 };
      // Oldest-inserted first out: the Map keeps insertion order, and a re-opened window re-inserts.
      if (this.table.size >= this.params.capacity) {
        const oldest = this.table.keys().next().value;
        if (oldest !== undefined) this.table.delete(oldest);
      }
      this.table.set(key, e);
    }
    e.failures++;
  }

  get size(): number {
    return this.table.size;
  }
}
