import { gcra } from '../gcra.ts';
import type { BanEntry, DistinctResult, GcraParams, RateResult, Store, TableSizes } from '../store.ts';
import { openBanTable } from './ban-table.ts';
import { BAN_PAYLOAD, BAN_WORDS, DISTINCT_WORDS, EVENT_WORDS, RATE_WORDS, type SharedStoreHandle } from './handle.ts';
import { hashKey, KEY_HASH } from './key-hash.ts';
import {
  bucketOf,
  claimLru,
  findSlot,
  lockBucket,
  openTable,
  payloadOf,
  S_AUX,
  S_F64,
  type SlotTable,
  type TableShape,
  tableSizes,
  touch,
  unlockBucket,
} from './slot-table.ts';

// The backend for a gateway running as several worker threads: the memory backend's tables, laid out in
// SharedArrayBuffers (handle.ts) that every thread opens, so a client whose connections land on different
// workers meets one rate bucket, one distinct set, one refusal count and one ban list, as nginx's limit_req
// zones live in shared memory. Each read-modify-write runs under its bucket's lock (bucket-lock.ts); tables are
// set-associative with LRU eviction per bucket (slot-table.ts) and never grow. Answers are synchronous.
//
// Distinct sets keep up to handle.maxMembers 32-bit member hashes per key. A new member past that cap is refused
// as if the limit were the cap (stricter, never looser: a member that cannot be remembered cannot be let through
// uncounted); size maxMembers from the largest distinct limit in force. Two members of one set whose 32-bit
// hashes agree count once (about n / 2^32 per new member for a set of n).
// sizes() counts keys in every table; the distinct table's capacity is in keys, each with room for maxMembers
// (the memory backend counts members there).

/** The shared backend answers synchronously, like the memory one. */
export interface SharedStore extends Store {
  readonly kind: 'shared';
  consumeRate(key: string, now: number, cost: number, p: GcraParams): RateResult;
  addDistinct(key: string, member: string, now: number, windowMs: number, limit: number): DistinctResult;
  countEvent(key: string, now: number, windowMs: number): number;
  ban(entry: BanEntry): void;
  unban(target: string): boolean;
}

const F_TAT = S_F64;
const F_START = S_F64;
const F_PREV = S_F64 + 1;
const F_CURR = S_F64 + 2;
// Members are hashed apart from keys, so a member's hash says nothing about the key it was counted under.
const MEMBER_SALT = 0x6d656d62;

function open(part: { readonly buffer: SharedArrayBuffer; readonly shape: TableShape }, words: number, payload = 0) {
  if (part.shape.slotWords !== words || part.shape.payloadBytes !== Math.ceil(payload / 8) * 8) {
    throw new TypeError('shared store: handle from another layout');
  }
  return openTable(part.buffer, part.shape);
}

/** Opens the store over a handle from newSharedStoreHandle; any number of threads may open the same handle. */
export function createSharedStore(h: SharedStoreHandle): SharedStore {
  if (h.kind !== 'rempart-shared-store') throw new TypeError('createSharedStore: not a shared store handle');
  const seed = h.seed;
  const maxMembers = h.maxMembers;
  const rate: SlotTable = open(h.rate, RATE_WORDS);
  const distinct: SlotTable = open(h.distinct, DISTINCT_WORDS, maxMembers * 4);
  const events: SlotTable = open(h.events, EVENT_WORDS);
  const bans = openBanTable(open(h.bans, BAN_WORDS, BAN_PAYLOAD), new Int32Array(h.meta), seed);

  return {
    kind: 'shared',

    consumeRate(key: string, now: number, cost: number, p: GcraParams): RateResult {
      hashKey(key, seed);
      const a = KEY_HASH[0];
      const b = KEY_HASH[1];
      const bucket = bucketOf(rate, a);
      lockBucket(rate, bucket);
      const s = findSlot(rate, bucket, a, b);
      // The one allocation in the section is gcra's answer (should it start a scavenge, the bucket stays locked
      // for that pause); nothing in it can throw.
      const out = gcra(now, cost, s < 0 ? undefined : rate.f64[s + F_TAT], p);
      if (s >= 0) touch(rate, bucket, s);
      if (out.tat !== undefined) rate.f64[(s < 0 ? claimLru(rate, bucket, a, b) : s) + F_TAT] = out.tat;
      unlockBucket(rate, bucket);
      return out;
    },

    addDistinct(key: string, member: string, now: number, windowMs: number, limit: number): DistinctResult {
      hashKey(member, seed ^ MEMBER_SALT);
      const m = KEY_HASH[0];
      hashKey(key, seed);
      const a = KEY_HASH[0];
      const b = KEY_HASH[1];
      const { i32, f64 } = distinct;
      const cap = Math.min(limit, maxMembers);
      const bucket = bucketOf(distinct, a);
      lockBucket(distinct, bucket);
      let s = findSlot(distinct, bucket, a, b);
      let size = 0;
      let start = now;
      let known = false;
      let members = 0;
      if (s >= 0) {
        touch(distinct, bucket, s);
        start = f64[s + F_START];
        if (now - start >= windowMs) start = now;
        else size = i32[s * 2 + S_AUX];
        members = payloadOf(distinct, s) >> 2;
        for (let i = 0; i < size; i++) {
          if (i32[members + i] === m) {
            known = true;
            break;
          }
        }
      }
      const add = !known && size < cap;
      if (add) {
        if (s < 0) {
          s = claimLru(distinct, bucket, a, b);
          members = payloadOf(distinct, s) >> 2;
        }
        f64[s + F_START] = start;
        i32[members + size] = m;
        i32[s * 2 + S_AUX] = size + 1;
      }
      unlockBucket(distinct, bucket);
      if (known) return { count: size, exceeded: false, retryAfterMs: 0 };
      if (add) return { count: size + 1, exceeded: false, retryAfterMs: 0 };
      return { count: size + 1, exceeded: true, retryAfterMs: start + windowMs - now };
    },

    countEvent(key: string, now: number, windowMs: number): number {
      hashKey(key, seed);
      const a = KEY_HASH[0];
      const b = KEY_HASH[1];
      const f64 = events.f64;
      const bucket = bucketOf(events, a);
      lockBucket(events, bucket);
      let s = findSlot(events, bucket, a, b);
      if (s < 0) {
        s = claimLru(events, bucket, a, b);
        f64[s + F_START] = now;
        f64[s + F_PREV] = 0;
        f64[s + F_CURR] = 0;
      } else {
        touch(events, bucket, s);
        const elapsed = now - f64[s + F_START];
        if (elapsed >= windowMs) {
          const windows = Math.floor(elapsed / windowMs);
          f64[s + F_PREV] = windows === 1 ? f64[s + F_CURR] : 0;
          f64[s + F_CURR] = 0;
          f64[s + F_START] += windows * windowMs;
        }
      }
      const curr = ++f64[s + F_CURR];
      const prev = f64[s + F_PREV];
      const start = f64[s + F_START];
      unlockBucket(events, bucket);
      return prev * (1 - (now - start) / windowMs) + curr;
    },

    banned: (target, now) => bans.banned(target, now),
    ban: (entry) => bans.ban(entry),
    unban: (target) => bans.unban(target),
    listBans: (now) => bans.list(now),

    sizes(): TableSizes {
      return {
        rate: tableSizes(rate),
        distinct: tableSizes(distinct),
        events: tableSizes(events),
        bans: bans.sizes(),
      };
    },

    // The memory belongs to the handle's owner and to the other threads: closing drops this thread's caches only.
    async close(): Promise<void> {
      bans.forget();
    },
  };
}
