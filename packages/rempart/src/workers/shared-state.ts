import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import { RempartError } from '../core/errors.ts';
import type { LedgerFactory } from '../pipeline/challenge/token.ts';
import {
  DEFAULT_MAX_MEMBERS,
  MAX_MEMBERS_LIMIT,
  newSharedStoreHandle,
  type SharedStoreHandle,
} from '../state/shared/handle.ts';
import { newSharedLedgerHandle, openSharedLedger, type SharedLedgerHandle } from '../state/shared/shared-ledger.ts';
import { createSharedStore } from '../state/shared/shared-store.ts';
import type { Store } from '../state/store.ts';

// What the worker threads of one process share, allocated once by the main thread and sent to each worker in
// workerData (SharedArrayBuffers are shared, not copied): the state tables when the backend is memory, the
// challenge's single-use ids and clearance budgets, and the key challenges are signed with.

export interface SharedStateHandle {
  /** Absent with the Redis backend: each worker then keeps its own connection. */
  readonly store?: SharedStoreHandle;
  readonly ledgers: { readonly nonces: SharedLedgerHandle; readonly spent: SharedLedgerHandle };
  /** Ids each ledger holds (challenge.max_tracked at start). */
  readonly tracked: number;
  /** Signing key for challenges and clearances when the configuration names none. */
  readonly secret: Uint8Array;
}

export interface OpenedSharedState {
  /** The shared store, or undefined to let each worker open the configured backend (redis). */
  readonly store: Store | undefined;
  readonly ledgers: LedgerFactory;
}

/** Members a distinct set must hold: the largest distinct limit, scaled by the largest mode multiplier above 1. */
export function membersNeeded(config: Config): number {
  let limit = 0;
  for (const d of config.distinct_limits) limit = Math.max(limit, d.limit);
  if (limit === 0) return DEFAULT_MAX_MEMBERS;
  const m = config.detect.modes;
  const scale = Math.max(1, m.normal.limit_multiplier, m.elevated.limit_multiplier, m.under_attack.limit_multiplier);
  return Math.max(DEFAULT_MAX_MEMBERS, Math.ceil(limit * scale));
}

export function newSharedState(config: Config): SharedStateHandle {
  const members = membersNeeded(config);
  if (members > MAX_MEMBERS_LIMIT)
    throw new RempartError(
      'REMPART_CONFIG_INVALID',
      `distinct_limits need ${members} members per set; with workers, the shared tables hold at most ${MAX_MEMBERS_LIMIT}`,
    );
  const capacity = config.challenge.max_tracked;
  return {
    store:
      config.state.backend === 'memory'
        ? newSharedStoreHandle({ maxEntries: config.state.max_entries, maxMembers: members })
        : undefined,
    ledgers: { nonces: newSharedLedgerHandle(capacity), spent: newSharedLedgerHandle(capacity) },
    tracked: capacity,
    secret: new Uint8Array(randomBytes(32)),
  };
}

/** Opens the shared state in this thread. */
export function openSharedState(h: SharedStateHandle): OpenedSharedState {
  const nonces = openSharedLedger(h.ledgers.nonces);
  const spent = openSharedLedger(h.ledgers.spent);
  return {
    store: h.store === undefined ? undefined : createSharedStore(h.store),
    // Shared ledgers cannot be resized: a reload asking for another max_tracked is refused (server.ts).
    ledgers: (use) => (use === 'nonces' ? nonces : spent),
  };
}

/** Why a new configuration cannot be applied to running shared state; undefined when it can. */
export function sharedStateRefuses(h: SharedStateHandle, next: Config): string | undefined {
  if (h.store !== undefined && membersNeeded(next) > h.store.maxMembers) return 'distinct_limits (larger sets)';
  if (next.challenge.max_tracked !== h.tracked) return 'challenge.max_tracked';
  return undefined;
}
