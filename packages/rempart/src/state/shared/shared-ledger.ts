import { hashKey, KEY_HASH, newSeed } from './key-hash.ts';
import {
  allocTable,
  bucketOf,
  findSlot,
  firstSlot,
  H_EVICTIONS,
  H_USED,
  lockBucket,
  openTable,
  S_F64,
  S_STAMP,
  S_TAG_A,
  S_TAG_B,
  type SlotTable,
  shapeFor,
  type TableShape,
  tableSizes,
  unlockBucket,
} from './slot-table.ts';

// The challenge module's ledger of token ids (used challenge nonces, clearance and pass request counts) over
// shared memory, so that a nonce is single-use across every worker thread and a clearance's budget is counted
// once across them. Same operations and rules as IdLedger (pipeline/challenge/token.ts), which it can replace
// through createChallenge's `ledger` option; it takes any { id, exp } and imports nothing of the challenge module.
//
// Capacity: set-associative like the store's tables. A new id goes to an empty slot of its bucket, else to one
// whose token has expired, else it evicts the entry expiring first and raises the shared floor to that expiry:
// every token expiring no later is refused from then on, so eviction never re-opens a replay. IdLedger evicts
// the oldest insertion of the whole map; here the choice is per bucket, so under pressure the floor may rise a
// little earlier (a bucket can fill before the table does), making old clearances earn a new one sooner.
// The floor is checked under the id's bucket lock and raised under the evicting bucket's lock, before release:
// a thread looking up an id that was just evicted takes the same lock and sees the raised floor.

export interface LedgerToken {
  readonly id: string;
  /** Unix seconds. */
  readonly exp: number;
}

export interface SharedLedgerHandle {
  readonly kind: 'rempart-shared-ledger';
  readonly seed: number;
  /** Uint32 word 0: the floor (unix seconds). */
  readonly meta: SharedArrayBuffer;
  readonly table: { readonly buffer: SharedArrayBuffer; readonly shape: TableShape };
}

const SLOT_WORDS = 4; // exp, n
const F_EXP = S_F64;
const F_N = S_F64 + 1;
const REVOKED = Number.MAX_SAFE_INTEGER;
const FLOOR_CAS_ATTEMPTS = 1 << 16;

/** Allocates a ledger of `capacity` ids (main thread); open it with openSharedLedger in every thread. */
export function newSharedLedgerHandle(capacity: number): SharedLedgerHandle {
  const shape = shapeFor(capacity, SLOT_WORDS);
  return {
    kind: 'rempart-shared-ledger',
    seed: newSeed(),
    meta: new SharedArrayBuffer(16),
    table: { buffer: allocTable(shape), shape },
  };
}

export class SharedLedger {
  readonly #t: SlotTable;
  readonly #floor: Uint32Array;
  readonly #seed: number;
  readonly capacity: number;

  constructor(h: SharedLedgerHandle) {
    if (h.kind !== 'rempart-shared-ledger' || h.table.shape.slotWords !== SLOT_WORDS) {
      throw new TypeError('SharedLedger: not a shared ledger handle');
    }
    this.#t = openTable(h.table.buffer, h.table.shape);
    this.#floor = new Uint32Array(h.meta);
    this.#seed = h.seed;
    this.capacity = this.#t.buckets * this.#t.ways;
  }

  /** Ids held (a scan of the bucket headers: for tests and metrics, not the request path). */
  get size(): number {
    return tableSizes(this.#t).size;
  }

  get evictions(): number {
    return tableSizes(this.#t).evictions;
  }

  /** Single-use: true the first time an id is seen in any thread, false on replay or at or below the floor. */
  useOnce(t: LedgerToken, nowS: number): boolean {
    const bucket = this.#enter(t.id);
    const a = KEY_HASH[0];
    const b = KEY_HASH[1];
    const fresh = t.exp > Atomics.load(this.#floor, 0) && findSlot(this.#t, bucket, a, b) < 0;
    if (fresh) this.#insert(bucket, a, b, t.exp, 1, nowS);
    unlockBucket(this.#t, bucket);
    return fresh;
  }

  /** Counts one request against a clearance across all threads; false once over its budget (or below the floor). */
  spend(t: LedgerToken, budget: number, nowS: number): boolean {
    const bucket = this.#enter(t.id);
    const a = KEY_HASH[0];
    const b = KEY_HASH[1];
    let n = Number.POSITIVE_INFINITY;
    if (t.exp > Atomics.load(this.#floor, 0)) {
      const s = findSlot(this.#t, bucket, a, b);
      if (s >= 0) n = ++this.#t.f64[s + F_N];
      else {
        this.#insert(bucket, a, b, t.exp, 1, nowS);
        n = 1;
      }
    }
    unlockBucket(this.#t, bucket);
    return n <= budget;
  }

  /** Misbehaviour: the clearance stops working in every thread before its expiry. */
  revoke(t: LedgerToken, nowS: number): void {
    const bucket = this.#enter(t.id);
    const a = KEY_HASH[0];
    const b = KEY_HASH[1];
    const s = findSlot(this.#t, bucket, a, b);
    if (s >= 0) this.#t.f64[s + F_N] = REVOKED;
    else this.#insert(bucket, a, b, t.exp, REVOKED, nowS);
    unlockBucket(this.#t, bucket);
  }

  /** Hashes the id into KEY_HASH and locks its bucket. */
  #enter(id: string): number {
    hashKey(id, this.#seed);
    const bucket = bucketOf(this.#t, KEY_HASH[0]);
    lockBucket(this.#t, bucket);
    return bucket;
  }

  // Under the bucket's lock: empty slot, else an expired one, else evict the soonest-expiring and raise the floor.
  #insert(bucket: number, a: number, b: number, exp: number, n: number, nowS: number): void {
    const t = this.#t;
    const { i32, f64 } = t;
    let victim = -1;
    let soonest = Number.POSITIVE_INFINITY;
    let s = firstSlot(bucket);
    for (let w = 0; w < t.ways; w++, s += t.slotWords) {
      if (i32[s * 2 + S_STAMP] === 0) {
        victim = s;
        soonest = Number.NEGATIVE_INFINITY;
        i32[bucket * 2 + H_USED]++;
        break;
      }
      if (f64[s + F_EXP] < soonest) {
        soonest = f64[s + F_EXP];
        victim = s;
      }
    }
    if (soonest > nowS) {
      i32[bucket * 2 + H_EVICTIONS]++;
      this.#raiseFloor(soonest);
    }
    i32[victim * 2 + S_TAG_A] = a;
    i32[victim * 2 + S_TAG_B] = b;
    i32[victim * 2 + S_STAMP] = 1;
    f64[victim + F_EXP] = exp;
    f64[victim + F_N] = n;
  }

  #raiseFloor(exp: number): void {
    const floor = this.#floor;
    for (let i = 0; i < FLOOR_CAS_ATTEMPTS; i++) {
      const f = Atomics.load(floor, 0);
      if (exp <= f || Atomics.compareExchange(floor, 0, f, exp) === f) return;
    }
  }
}

export function openSharedLedger(h: SharedLedgerHandle): SharedLedger {
  return new SharedLedger(h);
}
