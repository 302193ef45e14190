import { lock, unlock } from './bucket-lock.ts';

// A set-associative table in one SharedArrayBuffer: a key's hash picks one bucket of `ways` slots, and the key
// lives in one of those slots or nowhere. Every operation touches one bucket, so it is O(ways) and bounded, and
// the buffer is allocated once at its final size: a flood of new keys evicts, it never allocates.
//
// Memory is counted in 8-byte words so that Float64Array and Int32Array views share offsets (word w is
// f64[w] and i32[2w], i32[2w+1]). A bucket is a 2-word header then its slots:
//   header i32: lock, clock (LRU counter; the version counter for seqlock tables), used slots, evictions
//   slot   i32: tag a, tag b (the key's 64-bit hash), stamp (0 = empty; last use for LRU), one table-defined int
//          f64 from word 2 of the slot: table-defined fields
// Slots stay small so that a lookup scans two or three cache lines; what a table keeps per slot beyond a few
// numbers (member hashes, ban strings) is its payload, in a region after the buckets, one per slot.
// Counting used slots and evictions per bucket, under the bucket's lock, keeps writers off any shared counter.

export const WAYS = 8;

// i32 offsets within a bucket header (from 2 × the bucket's word index).
export const H_LOCK = 0;
export const H_CLOCK = 1;
export const H_USED = 2;
export const H_EVICTIONS = 3;
const HEADER_WORDS = 2;

// i32 offsets within a slot (from 2 × the slot's word index).
export const S_TAG_A = 0;
export const S_TAG_B = 1;
export const S_STAMP = 2;
export const S_AUX = 3;
/** Word offset of a slot's first table-defined f64. */
export const S_F64 = 2;

export interface TableShape {
  readonly buckets: number;
  readonly ways: number;
  /** 8-byte words per slot, the 2-word key header included. */
  readonly slotWords: number;
  /** Bytes of payload per slot (a multiple of 8; 0 for none). */
  readonly payloadBytes: number;
}

export interface SlotTable extends TableShape {
  readonly buffer: SharedArrayBuffer;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly bucketWords: number;
  /** Byte offset of the payload region. */
  readonly payloadBase: number;
}

/** The smallest shape holding `capacity` keys (rounded up to whole buckets). */
export function shapeFor(capacity: number, slotWords: number, payloadBytes = 0): TableShape {
  const cap = Math.max(1, Math.floor(capacity));
  const ways = Math.min(WAYS, cap);
  return { buckets: Math.ceil(cap / ways), ways, slotWords, payloadBytes: Math.ceil(payloadBytes / 8) * 8 };
}

export function byteLengthOf(s: TableShape): number {
  return s.buckets * ((HEADER_WORDS + s.ways * s.slotWords) * 8 + s.ways * s.payloadBytes);
}

export function allocTable(s: TableShape): SharedArrayBuffer {
  return new SharedArrayBuffer(byteLengthOf(s));
}

/** Views over a buffer allocated by allocTable with the same shape (in this thread or another). */
export function openTable(buffer: SharedArrayBuffer, s: TableShape): SlotTable {
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== byteLengthOf(s)) {
    throw new TypeError(`shared table: expected a SharedArrayBuffer of ${byteLengthOf(s)} bytes`);
  }
  const bucketWords = HEADER_WORDS + s.ways * s.slotWords;
  return {
    buckets: s.buckets,
    ways: s.ways,
    slotWords: s.slotWords,
    payloadBytes: s.payloadBytes,
    buffer,
    i32: new Int32Array(buffer),
    f64: new Float64Array(buffer),
    bucketWords,
    payloadBase: s.buckets * bucketWords * 8,
  };
}

/** Word index of the bucket for a hash's lane a. */
export function bucketOf(t: SlotTable, a: number): number {
  return ((a >>> 0) % t.buckets) * t.bucketWords;
}

export function lockBucket(t: SlotTable, bucket: number): void {
  lock(t.i32, bucket * 2 + H_LOCK);
}

export function unlockBucket(t: SlotTable, bucket: number): void {
  unlock(t.i32, bucket * 2 + H_LOCK);
}

/** Word index of the slot holding tag (a, b) in the bucket, or -1. */
export function findSlot(t: SlotTable, bucket: number, a: number, b: number): number {
  const i32 = t.i32;
  let s = bucket + HEADER_WORDS;
  for (let w = 0; w < t.ways; w++, s += t.slotWords) {
    const i = s * 2;
    if (i32[i + S_STAMP] !== 0 && i32[i + S_TAG_A] === a && i32[i + S_TAG_B] === b) return s;
  }
  return -1;
}

/** Marks a slot most recently used (under the bucket's lock). */
export function touch(t: SlotTable, bucket: number, slot: number): void {
  const i32 = t.i32;
  const c = bucket * 2 + H_CLOCK;
  let v = (i32[c] + 1) | 0;
  if (v === 0) v = 1; // 0 marks an empty slot
  i32[c] = v;
  i32[slot * 2 + S_STAMP] = v;
}

/**
 * A slot for a new key (under the bucket's lock): an empty one, else the least recently used one, whose key is
 * dropped and counted as an eviction. The tag is written and the slot touched; its fields are the caller's.
 */
export function claimLru(t: SlotTable, bucket: number, a: number, b: number): number {
  const i32 = t.i32;
  const clock = i32[bucket * 2 + H_CLOCK];
  let victim = -1;
  let oldest = -1;
  let s = bucket + HEADER_WORDS;
  for (let w = 0; w < t.ways; w++, s += t.slotWords) {
    const stamp = i32[s * 2 + S_STAMP];
    if (stamp === 0) {
      victim = s;
      break;
    }
    const age = (clock - stamp) >>> 0;
    if (age > oldest) {
      oldest = age;
      victim = s;
    }
  }
  if (i32[victim * 2 + S_STAMP] === 0) i32[bucket * 2 + H_USED]++;
  else i32[bucket * 2 + H_EVICTIONS]++;
  i32[victim * 2 + S_TAG_A] = a;
  i32[victim * 2 + S_TAG_B] = b;
  touch(t, bucket, victim);
  return victim;
}

/** Word index of the first slot of a bucket; slots follow every slotWords words. */
export function firstSlot(bucket: number): number {
  return bucket + HEADER_WORDS;
}

/** Position of a slot among all slots (0 .. capacity-1), for per-thread side arrays. */
export function slotOrdinal(t: SlotTable, slot: number): number {
  const b = Math.floor(slot / t.bucketWords);
  return b * t.ways + (slot - b * t.bucketWords - HEADER_WORDS) / t.slotWords;
}

/** Byte offset of a slot's payload (8-aligned: f64 index = offset / 8, i32 index = offset / 4). */
export function payloadOf(t: SlotTable, slot: number): number {
  return t.payloadBase + slotOrdinal(t, slot) * t.payloadBytes;
}

/** Size, capacity and evictions summed over the bucket headers (a racy read: figures for metrics). */
export function tableSizes(t: SlotTable): { size: number; capacity: number; evictions: number } {
  let size = 0;
  let evictions = 0;
  for (let b = 0; b < t.buckets; b++) {
    const i = b * t.bucketWords * 2;
    size += t.i32[i + H_USED];
    evictions += t.i32[i + H_EVICTIONS] >>> 0;
  }
  return { size, capacity: t.buckets * t.ways, evictions };
}
