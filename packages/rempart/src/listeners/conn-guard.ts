// Connection caps enforced at accept, before TLS or HTTP parsing costs anything. The per-IP map only
// holds addresses with at least one open connection and a new address is refused once the global cap
// is reached, so the map can never grow beyond max_connections entries.

export interface ConnCaps {
  maxTotal: number;
  maxPerIp: number;
}

export type ConnDecision = 'accept' | 'over-total' | 'over-ip';

/** Pure rule: may one more connection from a client that already holds `perIp` be opened? */
export function decideConn(total: number, perIp: number, caps: ConnCaps): ConnDecision {
  if (total >= caps.maxTotal) return 'over-total';
  if (perIp >= caps.maxPerIp) return 'over-ip';
  return 'accept';
}

export class ConnGuard {
  #caps: ConnCaps;
  readonly #perIp = new Map<string, number>();
  #total = 0;
  /** Connections refused since start, by reason (for metrics). */
  readonly refused = { 'over-total': 0, 'over-ip': 0 };

  constructor(caps: ConnCaps) {
    this.#caps = { ...caps };
  }

  setCaps(caps: ConnCaps): void {
    this.#caps = { ...caps };
  }

  /**
   * Counts the connection when accepted; the caller must call release() with the same key exactly once
   * when it closes. `undefined` = client not known yet (behind a PROXY balancer): only the global cap applies
   * until attribute() names the client.
   */
  acquire(ip: string | undefined): ConnDecision {
    const held = ip === undefined ? 0 : (this.#perIp.get(ip) ?? 0);
    const d = decideConn(this.#total, held, this.#caps);
    if (d !== 'accept') {
      this.refused[d]++;
      return d;
    }
    if (ip !== undefined) this.#perIp.set(ip, held + 1);
    this.#total++;
    return d;
  }

  /** Names the client of a connection acquired as `undefined`. On refusal the caller releases(undefined). */
  attribute(ip: string): ConnDecision {
    const held = this.#perIp.get(ip) ?? 0;
    const d = decideConn(0, held, this.#caps);
    if (d !== 'accept') {
      this.refused[d]++;
      return d;
    }
    this.#perIp.set(ip, held + 1);
    return d;
  }

  release(ip: string | undefined): void {
    if (ip !== undefined) {
      const held = this.#perIp.get(ip);
      if (held === undefined) return;
      if (held <= 1) this.#perIp.delete(ip);
      else this.#perIp.set(ip, held - 1);
    }
    if (this.#total > 0) this.#total--;
  }

  get total(): number {
    return this.#total;
  }

  /** Distinct addresses holding connections (bounded by maxTotal). */
  get trackedIps(): number {
    return this.#perIp.size;
  }

  heldBy(ip: string): number {
    return this.#perIp.get(ip) ?? 0;
  }
}
