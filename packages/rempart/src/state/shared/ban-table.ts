import type { BanEntry } from '../store.ts';
import { BAN_REASON_BYTES, BAN_RULE_BYTES, BAN_TARGET_BYTES, META_BANS } from './handle.ts';
import { hashKey, KEY_HASH } from './key-hash.ts';
import {
  bucketOf,
  findSlot,
  firstSlot,
  H_CLOCK,
  H_EVICTIONS,
  H_USED,
  lockBucket,
  payloadOf,
  S_AUX,
  S_F64,
  S_STAMP,
  S_TAG_A,
  S_TAG_B,
  type SlotTable,
  slotOrdinal,
  tableSizes,
  unlockBucket,
} from './slot-table.ts';

// Bans are written a few times a second at most and read twice per request (ip, then prefix), so readers take no
// lock: each bucket's header clock is a seqlock version, odd while a writer (holding the bucket's lock) changes a
// slot. A reader that finds its target reads the version, the slot, the version again, and retries if they differ
// or were odd (after 64 tries it takes the lock).
//
// Slot: stamp = lengths of the three strings with a used bit (0 = empty), aux = generation (bumped by every write
// to the slot, never reset), f64 expiresAt. Payload: f64 createdAt, then UTF-8 bytes: target (48: IPs and /24 or
// /64 prefixes need at most 43), reason (cut at 128 bytes, on a character boundary), rule (cut at 48).
// A hit returns the entry this thread decoded for that slot and generation, so a banned flood costs no decoding.
// An expired ban stays in its slot (a lock-free reader cannot delete) until a ban reuses the slot or listBans
// sweeps it. A full bucket gives a new ban the slot of the ban that ends first.

const USED = 1 << 30;
const READ_ATTEMPTS = 64;
const F_EXPIRES = S_F64;

export interface BanTable {
  banned(target: string, now: number): BanEntry | undefined;
  ban(entry: BanEntry): void;
  unban(target: string): boolean;
  list(now: number): BanEntry[];
  sizes(): { size: number; capacity: number; evictions: number };
  /** Drops this thread's decoded entries (the shared table is untouched). */
  forget(): void;
}

export function openBanTable(t: SlotTable, meta: Int32Array, seed: number): BanTable {
  const { i32, f64 } = t;
  const bytes = Buffer.from(t.buffer);
  const capacity = t.buckets * t.ways;
  // This thread's decoded entries by slot ordinal, valid while the slot's generation matches.
  let cache: (BanEntry | undefined)[] | undefined;
  let cacheGen = new Int32Array(0);

  const decode = (s: number): BanEntry => {
    const packed = i32[s * 2 + S_STAMP];
    const payload = payloadOf(t, s);
    const at = payload + 8;
    const targetLen = Math.min(packed & 0xff, BAN_TARGET_BYTES);
    const reasonLen = Math.min((packed >>> 8) & 0xff, BAN_REASON_BYTES);
    const ruleLen = Math.min((packed >>> 16) & 0xff, BAN_RULE_BYTES);
    const reasonAt = at + BAN_TARGET_BYTES;
    const ruleAt = reasonAt + BAN_REASON_BYTES;
    return {
      target: bytes.toString('utf8', at, at + targetLen),
      reason: bytes.toString('utf8', reasonAt, reasonAt + reasonLen),
      rule: bytes.toString('utf8', ruleAt, ruleAt + ruleLen),
      createdAt: f64[payload >> 3],
      expiresAt: f64[s + F_EXPIRES],
    };
  };

  // Reads the bucket without checking the version: the caller validates (or holds the lock).
  const read = (bucket: number, a: number, b: number, now: number): BanEntry | undefined => {
    const s = findSlot(t, bucket, a, b);
    if (s < 0 || f64[s + F_EXPIRES] <= now) return undefined;
    const o = slotOrdinal(t, s);
    const gen = i32[s * 2 + S_AUX];
    if (cache !== undefined && cacheGen[o] === gen && cache[o] !== undefined) return cache[o];
    if (cache === undefined) {
      cache = new Array<BanEntry | undefined>(capacity).fill(undefined);
      cacheGen = new Int32Array(capacity);
    }
    readOrdinal = o;
    readGen = gen;
    return decode(s);
  };
  let readOrdinal = -1;
  let readGen = 0;

  const beginWrite = (bucket: number) => Atomics.add(i32, bucket * 2 + H_CLOCK, 1);
  const endWrite = beginWrite;

  const release = (bucket: number, s: number) => {
    i32[s * 2 + S_STAMP] = 0;
    i32[s * 2 + S_AUX]++;
    i32[bucket * 2 + H_USED]--;
    Atomics.sub(meta, META_BANS, 1);
  };

  // A slot for a new ban (under the lock, inside a write): empty, else expired, else the one ending first.
  const claim = (bucket: number, at: number): number => {
    let victim = -1;
    let soonest = Number.POSITIVE_INFINITY;
    let s = firstSlot(bucket);
    for (let w = 0; w < t.ways; w++, s += t.slotWords) {
      if (i32[s * 2 + S_STAMP] === 0) {
        i32[bucket * 2 + H_USED]++;
        Atomics.add(meta, META_BANS, 1);
        return s;
      }
      const exp = f64[s + F_EXPIRES];
      if (exp < soonest) {
        soonest = exp;
        victim = s;
      }
    }
    if (soonest > at) i32[bucket * 2 + H_EVICTIONS]++;
    return victim;
  };

  return {
    banned(target: string, now: number): BanEntry | undefined {
      if (Atomics.load(meta, META_BANS) === 0) return undefined;
      hashKey(target, seed);
      const a = KEY_HASH[0];
      const b = KEY_HASH[1];
      const bucket = bucketOf(t, a);
      // A miss needs no version check: a writer never hides another target's slot (it fills an empty slot, or
      // evicts one; rewriting a target keeps its tag and a non-zero stamp), so a miss is the table before or
      // after the write in progress. Only a hit reads fields that a writer may be changing.
      if (findSlot(t, bucket, a, b) < 0) return undefined;
      const version = bucket * 2 + H_CLOCK;
      for (let i = 0; i < READ_ATTEMPTS; i++) {
        const v = Atomics.load(i32, version);
        if ((v & 1) !== 0) continue;
        readOrdinal = -1;
        const e = read(bucket, a, b, now);
        if (Atomics.load(i32, version) !== v) continue;
        if (readOrdinal >= 0 && cache !== undefined) {
          cache[readOrdinal] = e;
          cacheGen[readOrdinal] = readGen;
        }
        return e;
      }
      // Writers kept the bucket changing through every attempt: read it under its lock.
      lockBucket(t, bucket);
      const e = read(bucket, a, b, now);
      unlockBucket(t, bucket);
      return e;
    },

    ban(entry: BanEntry): void {
      if (Buffer.byteLength(entry.target) > BAN_TARGET_BYTES) {
        throw new RangeError(`ban target longer than ${BAN_TARGET_BYTES} bytes: an IP or a prefix is expected`);
      }
      hashKey(entry.target, seed);
      const a = KEY_HASH[0];
      const b = KEY_HASH[1];
      const bucket = bucketOf(t, a);
      lockBucket(t, bucket);
      beginWrite(bucket);
      let s = findSlot(t, bucket, a, b);
      if (s < 0) s = claim(bucket, entry.createdAt);
      const payload = payloadOf(t, s);
      const at = payload + 8;
      const targetLen = bytes.write(entry.target, at, BAN_TARGET_BYTES, 'utf8');
      const reasonLen = bytes.write(entry.reason, at + BAN_TARGET_BYTES, BAN_REASON_BYTES, 'utf8');
      const ruleLen = bytes.write(entry.rule, at + BAN_TARGET_BYTES + BAN_REASON_BYTES, BAN_RULE_BYTES, 'utf8');
      f64[payload >> 3] = entry.createdAt;
      f64[s + F_EXPIRES] = entry.expiresAt;
      i32[s * 2 + S_TAG_A] = a;
      i32[s * 2 + S_TAG_B] = b;
      i32[s * 2 + S_AUX]++;
      i32[s * 2 + S_STAMP] = USED | (ruleLen << 16) | (reasonLen << 8) | targetLen;
      endWrite(bucket);
      unlockBucket(t, bucket);
    },

    unban(target: string): boolean {
      hashKey(target, seed);
      const bucket = bucketOf(t, KEY_HASH[0]);
      lockBucket(t, bucket);
      const s = findSlot(t, bucket, KEY_HASH[0], KEY_HASH[1]);
      if (s >= 0) {
        beginWrite(bucket);
        release(bucket, s);
        endWrite(bucket);
      }
      unlockBucket(t, bucket);
      return s >= 0;
    },

    // Also sweeps expired bans out of their slots, so that banned() can skip lookups again once none is left.
    list(now: number): BanEntry[] {
      const out: BanEntry[] = [];
      for (let bi = 0; bi < t.buckets; bi++) {
        const bucket = bi * t.bucketWords;
        lockBucket(t, bucket);
        let s = firstSlot(bucket);
        for (let w = 0; w < t.ways; w++, s += t.slotWords) {
          if (i32[s * 2 + S_STAMP] === 0) continue;
          if (f64[s + F_EXPIRES] > now) out.push(decode(s));
          else {
            beginWrite(bucket);
            release(bucket, s);
            endWrite(bucket);
          }
        }
        unlockBucket(t, bucket);
      }
      return out;
    },

    sizes: () => tableSizes(t),

    forget(): void {
      cache = undefined;
      cacheGen = new Int32Array(0);
    },
  };
}
