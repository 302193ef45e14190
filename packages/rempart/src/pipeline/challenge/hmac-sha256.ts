import { createHash } from 'node:crypto';

// HMAC-SHA-256 (RFC 2104 over FIPS 180-4) in plain JavaScript, for the challenge path's tokens only.
// Why not node:crypto: a challenge page is the reject path under attack, and there createHmac cost ~20 µs of
// gateway CPU per signature (object, native handle, OpenSSL context, digest buffer, GC), against 3.6 µs in a
// tight loop. Here the key's inner and outer blocks are hashed once (midstates), so a signature is the message
// blocks plus one outer block, with no allocation. Checked against createHmac on random keys and inputs
// (hmac-sha256.test.ts); a MAC's timing here depends on lengths only, never on key or data.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const W = new Int32Array(64);

/** One compression of the 64-byte block at data[off] into state h (8 words). */
function compress(h: Int32Array, data: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++) {
    const j = off + i * 4;
    W[i] = (data[j] << 24) | (data[j + 1] << 16) | (data[j + 2] << 8) | data[j + 3];
  }
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15];
    const y = W[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
  }
  let a = h[0];
  let b = h[1];
  let c = h[2];
  let d = h[3];
  let e = h[4];
  let f = h[5];
  let g = h[6];
  let k = h[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (k + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0] + a) | 0;
  h[1] = (h[1] + b) | 0;
  h[2] = (h[2] + c) | 0;
  h[3] = (h[3] + d) | 0;
  h[4] = (h[4] + e) | 0;
  h[5] = (h[5] + f) | 0;
  h[6] = (h[6] + g) | 0;
  h[7] = (h[7] + k) | 0;
}

// Shared scratch: the gateway signs on one thread, one token at a time. Grows to the longest message seen.
let msg = Buffer.alloc(1024);
const state = new Int32Array(8);
/** The inner hash as bytes, followed by the outer hash's padding. */
const innerDigest = Buffer.alloc(64);

export class HmacSha256 {
  private readonly inner = new Int32Array(8);
  private readonly outer = new Int32Array(8);

  constructor(key: Uint8Array) {
    const k0 = Buffer.alloc(64);
    if (key.length > 64) createHash('sha256').update(key).digest().copy(k0);
    else k0.set(key);
    const block = Buffer.alloc(64);
    for (let i = 0; i < 64; i++) block[i] = k0[i] ^ 0x36;
    this.inner.set(IV);
    compress(this.inner, block, 0);
    for (let i = 0; i < 64; i++) block[i] = k0[i] ^ 0x5c;
    this.outer.set(IV);
    compress(this.outer, block, 0);
  }

  /**
   * MAC of head[0, headLen) ‖ a ‖ "\n" ‖ b (the strings as UTF-8), its first outLen bytes written to out at
   * outOff. The token's shape: signed fields, then the client binding.
   */
  macInto(head: Buffer, headLen: number, a: string, b: string, out: Uint8Array, outOff: number, outLen: number): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; 72 covers the newline and the padding.
    const need = headLen + 3 * (a.length + b.length) + 72;
    if (msg.length < need) msg = Buffer.alloc(need * 2);
    head.copy(msg, 0, 0, headLen);
    let n = headLen;
    n += msg.write(a, n, 'utf8');
    msg[n++] = 10;
    n += msg.write(b, n, 'utf8');
    state.set(this.inner);
    finish(state, msg, n, 64);
    for (let i = 0; i < 8; i++) {
      const w = state[i];
      innerDigest[i * 4] = w >>> 24;
      innerDigest[i * 4 + 1] = w >>> 16;
      innerDigest[i * 4 + 2] = w >>> 8;
      innerDigest[i * 4 + 3] = w;
    }
    state.set(this.outer);
    finish(state, innerDigest, 32, 64);
    for (let i = 0; i < outLen; i++) out[outOff + i] = state[i >> 2] >>> (24 - 8 * (i & 3));
  }
}

/** Hashes data[0, n) after `before` bytes already compressed into h, padding in place (data has 72 spare bytes). */
function finish(h: Int32Array, data: Uint8Array, n: number, before: number): void {
  const bits = (before + n) * 8;
  let end = n + 1;
  data[n] = 0x80;
  while (end % 64 !== 56) data[end++] = 0;
  // Messages here are far below 2^32 bits: the high length word is zero.
  data[end++] = 0;
  data[end++] = 0;
  data[end++] = 0;
  data[end++] = 0;
  data[end++] = bits >>> 24;
  data[end++] = bits >>> 16;
  data[end++] = bits >>> 8;
  data[end++] = bits;
  for (let off = 0; off < end; off += 64) compress(h, data, off);
}
