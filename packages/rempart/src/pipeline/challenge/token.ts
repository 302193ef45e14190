import { createHash, randomFillSync, timingSafeEqual } from 'node:crypto';
import { HmacSha256 } from './hmac-sha256.ts';

// Compact signed tokens: 22 bytes of fields + 16 bytes of truncated HMAC-SHA-256, as 51 base64url chars.
// The MAC also covers the client prefix and User-Agent, so a token copied to another network or browser fails
// without storing any binding in it. Verification is one base64url decode and one HMAC: no JSON, no lookups.
//
//  0      kind   (1 clearance, 2 challenge, 4 visitor pass; 3 was a separate no-JS ticket, no longer issued)
//  1      key id (first byte of SHA-256 of the key: picks current or previous key after a rotation)
//  2..5   expiry, unix seconds
//  6..9   aux: clearance or pass budget | challenge proof (proof.ts encodeProof: all 32 bits in use for scrypt)
//  10..13 not-before, unix seconds: when a challenge's no-JS wait ends; 0 = no no-JS path (API challenges, passes,
//         clearances). Signed at issue, so a config reload cannot shorten a wait already promised.
//  14..21 random id (challenge nonce / clearance id), 64 bits: ids only need to be unique, the MAC is the secret
//  22..37 MAC
//
// One challenge token serves both ways out of a page: a proof at /.rempart/verify or, after not-before, the no-JS
// wait at /.rempart/wait. Both spend the same id in one ledger, so a page earns one clearance, never two.

export const KIND_CLEARANCE = 1;
export const KIND_CHALLENGE = 2;
export const KIND_PASS = 4;
type Kind = 1 | 2 | 4;

const FIELDS = 22;
const MAC_LEN = 16;
const RAW_LEN = FIELDS + MAC_LEN;
export const TOKEN_CHARS = 51; // base64url of 38 bytes, no padding

export interface Binding {
  /** Client prefix (/24 or /64) from identity/. */
  readonly prefix: string;
  readonly userAgent: string;
}

export interface Token {
  readonly kind: Kind;
  readonly exp: number;
  readonly aux: number;
  /** Unix seconds; 0 when not set. Checked by whoever gives it a meaning (the no-JS wait), not by verify. */
  readonly nbf: number;
  /** Random id, base64url (11 chars). */
  readonly id: string;
}

export type VerifyFailure = 'malformed' | 'kind' | 'key' | 'mac' | 'expired';
export type VerifyResult = Token | VerifyFailure;

interface Key {
  readonly id: number;
  readonly mac: HmacSha256;
}

export interface Signer {
  /** nbf: see the layout above (0 when the token has none). */
  sign(kind: Kind, exp: number, aux: number, b: Binding, nbf?: number): string;
  /** nowS: unix seconds. Checks shape, kind, MAC (current or previous key), binding and expiry. */
  verify(token: string, kind: Kind, b: Binding, nowS: number): VerifyResult;
}

// One getrandom call per 4 KiB instead of one per token: challenge pages are the reject path under attack.
const pool = Buffer.alloc(4096);
let poolPos = pool.length;

/** Copies n fresh random bytes (n ≤ 64) into target at offset. Each byte is handed out once. */
export function fillRandom(target: Buffer, offset: number, n: number): void {
  if (poolPos + n > pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  pool.copy(target, offset, poolPos, poolPos + n);
  poolPos += n;
}

function makeKey(secret: string | Buffer): Key {
  return { id: createHash('sha256').update(secret).digest()[0], mac: new HmacSha256(Buffer.from(secret)) };
}

// The MAC a verification expects, computed here and compared in constant time.
const expected = Buffer.alloc(MAC_LEN);

export function createSigner(current: string | Buffer, previous?: string | Buffer): Signer {
  const cur = makeKey(current);
  const keys = previous === undefined ? [cur] : [cur, makeKey(previous)];
  return {
    sign(kind, exp, aux, b, nbf = 0) {
      const buf = Buffer.allocUnsafe(RAW_LEN);
      buf[0] = kind;
      buf[1] = cur.id;
      buf.writeUInt32BE(exp >>> 0, 2);
      buf.writeUInt32BE(aux >>> 0, 6);
      buf.writeUInt32BE(nbf >>> 0, 10);
      fillRandom(buf, 14, 8);
      cur.mac.macInto(buf, FIELDS, b.prefix, b.userAgent, buf, FIELDS, MAC_LEN);
      return buf.toString('base64url');
    },
    verify(token, kind, b, nowS) {
      if (typeof token !== 'string' || token.length !== TOKEN_CHARS) return 'malformed';
      const buf = Buffer.from(token, 'base64url');
      if (buf.length !== RAW_LEN) return 'malformed';
      if (buf[0] !== kind) return 'kind';
      const given = buf.subarray(FIELDS);
      let ok = false;
      let known = false;
      for (let i = 0; i < keys.length && !ok; i++) {
        if (keys[i].id !== buf[1]) continue;
        known = true;
        keys[i].mac.macInto(buf, FIELDS, b.prefix, b.userAgent, expected, 0, MAC_LEN);
        ok = timingSafeEqual(expected, given);
      }
      if (!known) return 'key';
      if (!ok) return 'mac';
      const exp = buf.readUInt32BE(2);
      if (nowS >= exp) return 'expired';
      return { kind, exp, aux: buf.readUInt32BE(6), nbf: buf.readUInt32BE(10), id: buf.toString('base64url', 14, 22) };
    },
  };
}

export function isToken(r: VerifyResult): r is Token {
  return typeof r !== 'string';
}

/**
 * Bounded memory of token ids with their expiry (used nonces, clearance and pass request counts). Full → an entry
 * goes, and every token expiring no later than it is refused from then on ("floor"): eviction can never re-open a
 * replay, it can only make the oldest clearances earn a new one. IdLedger keeps it in this thread; a gateway
 * running as worker threads passes a shared one (state/shared/shared-ledger.ts) through createChallenge's options.
 */
export interface TokenLedger {
  readonly capacity: number;
  readonly size: number;
  /** Single-use: true the first time an id is seen, false on replay or when older than the eviction floor. */
  useOnce(t: Token, nowS: number): boolean;
  /** Counts one request against a clearance; false once over its budget (or evicted under pressure). */
  spend(t: Token, budget: number, nowS: number): boolean;
  /** Misbehaviour: the clearance stops working before its expiry. */
  revoke(t: Token, nowS: number): void;
}

/** Makes the challenge module's two ledgers: used challenge ids, and request counts of clearances and passes. */
export type LedgerFactory = (use: 'nonces' | 'spent', capacity: number) => TokenLedger;

/** The in-process ledger: the oldest insertion goes when full. */
export class IdLedger implements TokenLedger {
  private readonly map = new Map<string, { exp: number; n: number }>();
  private floor = 0;
  readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  get size(): number {
    return this.map.size;
  }
  /** Single-use: true the first time an id is seen, false on replay or when older than the eviction floor. */
  useOnce(t: Token, nowS: number): boolean {
    if (t.exp <= this.floor || this.map.has(t.id)) return false;
    this.insert(t.id, t.exp, 1, nowS);
    return true;
  }
  /** Counts one request against a clearance; false once over its budget (or evicted under pressure). */
  spend(t: Token, budget: number, nowS: number): boolean {
    if (t.exp <= this.floor) return false;
    const e = this.map.get(t.id);
    if (e === undefined) {
      this.insert(t.id, t.exp, 1, nowS);
      return budget >= 1;
    }
    e.n++;
    return e.n <= budget;
  }
  /** Misbehaviour: the clearance stops working before its expiry. */
  revoke(t: Token, nowS: number): void {
    const e = this.map.get(t.id);
    if (e) e.n = Number.MAX_SAFE_INTEGER;
    else this.insert(t.id, t.exp, Number.MAX_SAFE_INTEGER, nowS);
  }
  private insert(id: string, exp: number, n: number, nowS: number): void {
    // Drop expired entries from the head first (ids arrive in roughly expiry order), then the oldest if still full.
    let sweeps = 0;
    for (const [k, v] of this.map) {
      if (v.exp > nowS || sweeps++ >= 16) break;
      this.map.delete(k);
    }
    if (this.map.size >= this.capacity) {
      const first = this.map.entries().next().value;
      if (first) {
        this.map.delete(first[0]);
        if (first[1].exp > this.floor) this.floor = first[1].exp;
      }
    }
    this.map.set(id, { exp, n });
  }
}
