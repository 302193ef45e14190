import { newSeed } from './key-hash.ts';
import { allocTable, shapeFor, type TableShape } from './slot-table.ts';

// What every thread needs to open the same shared store: SharedArrayBuffers, their shapes and the hash seed.
// A plain object, so structured clone (workerData, postMessage) hands each worker views of the same memory.
// Allocated once by the owner (the main thread) at its final size; nothing in it grows afterwards.

/** Members kept per distinct set unless the handle says otherwise. */
export const DEFAULT_MAX_MEMBERS = 64;
/** Upper bound of maxMembers: a set is scanned linearly under its bucket's lock. */
export const MAX_MEMBERS_LIMIT = 1024;

// Slot sizes in 8-byte words (2 of them the key header, see slot-table.ts) and payload bytes per slot.
export const RATE_WORDS = 3; // tat
export const EVENT_WORDS = 5; // window start, previous count, current count
/** Distinct: window start in the slot (member count in its aux int); payload: maxMembers 32-bit member hashes. */
export const DISTINCT_WORDS = 3;
// Bans: expiry in the slot; payload: createdAt, then byte areas for the strings (see ban-table.ts).
export const BAN_WORDS = 3;
export const BAN_TARGET_BYTES = 48;
export const BAN_REASON_BYTES = 128;
export const BAN_RULE_BYTES = 48;
export const BAN_PAYLOAD = 8 + BAN_TARGET_BYTES + BAN_REASON_BYTES + BAN_RULE_BYTES;

// Int32 words of the meta buffer.
export const META_BANS = 0; // live ban slots, read first by banned() to skip the lookup when there are none
const META_WORDS = 4;

export interface SharedStoreOptions {
  /** Capacity of each table, as state.max_entries for the memory backend. */
  readonly maxEntries: number;
  /**
   * Members kept per distinct set (1 .. 1024, default 64): at least the largest distinct limit in force, scaled
   * by any mode multiplier above 1. Costs 4 bytes × maxEntries each, reserved up front.
   */
  readonly maxMembers?: number;
}

export interface SharedStoreHandle {
  readonly kind: 'rempart-shared-store';
  readonly seed: number;
  readonly maxMembers: number;
  readonly meta: SharedArrayBuffer;
  readonly rate: { readonly buffer: SharedArrayBuffer; readonly shape: TableShape };
  readonly distinct: { readonly buffer: SharedArrayBuffer; readonly shape: TableShape };
  readonly events: { readonly buffer: SharedArrayBuffer; readonly shape: TableShape };
  readonly bans: { readonly buffer: SharedArrayBuffer; readonly shape: TableShape };
}

function part(capacity: number, slotWords: number, payloadBytes = 0) {
  const shape = shapeFor(capacity, slotWords, payloadBytes);
  return { buffer: allocTable(shape), shape };
}

/** Allocates every table of a shared store (main thread); pass the result to createSharedStore in each thread. */
export function newSharedStoreHandle(o: SharedStoreOptions): SharedStoreHandle {
  const maxMembers = Math.floor(o.maxMembers ?? DEFAULT_MAX_MEMBERS);
  if (!(maxMembers >= 1 && maxMembers <= MAX_MEMBERS_LIMIT)) {
    throw new RangeError(`maxMembers must be 1..${MAX_MEMBERS_LIMIT}, got ${o.maxMembers}`);
  }
  return {
    kind: 'rempart-shared-store',
    seed: newSeed(),
    maxMembers,
    meta: new SharedArrayBuffer(META_WORDS * 4),
    rate: part(o.maxEntries, RATE_WORDS),
    distinct: part(o.maxEntries, DISTINCT_WORDS, maxMembers * 4),
    events: part(o.maxEntries, EVENT_WORDS),
    bans: part(o.maxEntries, BAN_WORDS, BAN_PAYLOAD),
  };
}

/** Bytes reserved by a handle (what RSS reaches once a flood has touched every slot). */
export function handleBytes(h: SharedStoreHandle): number {
  return (
    h.meta.byteLength +
    h.rate.buffer.byteLength +
    h.distinct.buffer.byteLength +
    h.events.buffer.byteLength +
    h.bans.buffer.byteLength
  );
}
