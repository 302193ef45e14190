// The one interface between defences and their state. Backends: memory (default, bounded), shared (the memory
// tables in SharedArrayBuffers, for a gateway running as worker threads) and redis (cluster).
// Every table has a fixed capacity and an eviction rule: memory never grows with the number of attacking keys.

export interface GcraParams {
  /** Milliseconds between two requests at the sustained rate (1000 / rate-per-second). */
  readonly emissionMs: number;
  /** Requests allowed in a burst above the sustained rate. */
  readonly burst: number;
}

export interface RateResult {
  readonly allowed: boolean;
  /** When refused: milliseconds until one more request of this cost would be allowed. */
  readonly retryAfterMs: number;
  /** Remaining burst after this request (for RateLimit headers and dry-run logs). */
  readonly remaining: number;
}

export interface DistinctResult {
  /** Distinct members seen for this key within the window, including this one. */
  readonly count: number;
  readonly exceeded: boolean;
  /** When exceeded: milliseconds until this key's window starts over. */
  readonly retryAfterMs: number;
}

export interface BanEntry {
  /** An IP ("192.0.2.7") or a prefix ("192.0.2.0/24"). */
  readonly target: string;
  readonly reason: string;
  readonly rule: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface TableSizes {
  readonly [table: string]: { readonly size: number; readonly capacity: number; readonly evictions: number };
}

/** A remote backend's link: while disconnected it answers from local tables. */
export interface StoreRemote {
  connected(): boolean;
  /** Times the store switched to its local fallback (including an unreachable backend at start). */
  readonly fallbacks: number;
  /** Shares an operator's mode pin with every gateway on this backend (null hands the mode back to detection). */
  sharePin(mode: string | null): Promise<void>;
  /**
   * Called when another gateway pins or releases the mode, and when a pin already set is found (start, return
   * after an outage). The value is remote input: the caller validates it.
   */
  onPin(fn: (mode: string | null) => void): void;
}

export interface Store {
  readonly kind: 'memory' | 'shared' | 'redis';
  /** Present on remote backends only. */
  readonly remote?: StoreRemote;
  /** GCRA: consume `cost` from the bucket at `key`; a refusal writes nothing. */
  consumeRate(key: string, now: number, cost: number, p: GcraParams): RateResult | Promise<RateResult>;
  /**
   * Adds `member` to the distinct set at `key` (fixed window starting at the key's first member). A set keeps
   * at most `limit` members: a new member beyond them is refused and not stored, members already known pass.
   */
  addDistinct(
    key: string,
    member: string,
    now: number,
    windowMs: number,
    limit: number,
  ): DistinctResult | Promise<DistinctResult>;
  /**
   * Counts one event at `key` and returns the events seen in the last `windowMs` (sliding window estimated
   * from two fixed windows, the previous one weighted by its overlap). Used for auto-ban refusal counts.
   */
  countEvent(key: string, now: number, windowMs: number): number | Promise<number>;
  /** The active ban on an IP or prefix, if any. Synchronous: a remote backend keeps a local mirror. */
  banned(target: string, now: number): BanEntry | undefined;
  ban(entry: BanEntry): void | Promise<void>;
  unban(target: string): boolean | Promise<boolean>;
  listBans(now: number): BanEntry[];
  sizes(): TableSizes;
  close(): Promise<void>;
}
