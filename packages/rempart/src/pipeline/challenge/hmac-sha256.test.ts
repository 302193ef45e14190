import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { HmacSha256 } from './hmac-sha256.ts';

// The reference is node:crypto's HMAC-SHA-256 over the same bytes (head, a, newline, b as UTF-8).
function reference(key: Buffer, head: Buffer, a: string, b: string): Buffer {
  return createHmac('sha256', key).update(head).update(a).update('\n').update(b).digest();
}

function ours(key: Buffer, head: Buffer, a: string, b: string, len = 32): Buffer {
  const out = Buffer.alloc(len + 4, 0xee);
  new HmacSha256(key).macInto(head, head.length, a, b, out, 2, len);
  assert.equal(out[0], 0xee, 'wrote before outOff');
  assert.equal(out[len + 2], 0xee, 'wrote past outLen');
  return out.subarray(2, 2 + len);
}

describe('HMAC-SHA-256', () => {
  it('matches node:crypto on every message length across block and padding boundaries', () => {
    const key = randomBytes(32);
    // Total lengths 0..200 cover 55/56 (padding fits or spills) and 63/64/119/120 (block edges).
    for (let n = 0; n <= 200; n++) {
      const head = randomBytes(Math.min(n, 22));
      const rest = 'x'.repeat(Math.max(0, n - head.length - 1));
      const a = rest.slice(0, rest.length >> 1);
      const b = rest.slice(rest.length >> 1);
      assert.deepEqual(ours(key, head, a, b), reference(key, head, a, b), `length ${n}`);
    }
  });

  it('matches node:crypto for empty, short, block-sized and longer-than-block keys', () => {
    for (const n of [0, 1, 20, 32, 63, 64, 65, 131, 200]) {
      const key = randomBytes(n);
      const head = randomBytes(22);
      assert.deepEqual(ours(key, head, '198.51.100.0/24', 'UA'), reference(key, head, '198.51.100.0/24', 'UA'));
    }
  });

  it('encodes the strings as UTF-8 like node:crypto, lone surrogates included', () => {
    const key = randomBytes(40);
    const head = randomBytes(22);
    for (const ua of [
      'Mozilla/5.0 é ü',
      '漢字テスト',
      '😀 emoji',
      'lone \ud800 high',
      'lone \udc00 low',
      'ÿ'.repeat(500),
    ]) {
      assert.deepEqual(ours(key, head, '2001:db8::/64', ua), reference(key, head, '2001:db8::/64', ua), ua);
    }
  });

  it('matches node:crypto on random inputs, and one instance keeps giving the same answers', () => {
    for (let t = 0; t < 500; t++) {
      const key = randomBytes(t % 100);
      const head = randomBytes(t % 40);
      const a = randomBytes(t % 30).toString('latin1');
      const b = randomBytes((t * 13) % 2000).toString('utf8'); // long User-Agents grow the scratch buffer
      assert.deepEqual(ours(key, head, a, b), reference(key, head, a, b));
    }
    const m = new HmacSha256(Buffer.from('k'.repeat(40)));
    const head = randomBytes(22);
    const first = Buffer.alloc(16);
    const again = Buffer.alloc(16);
    m.macInto(head, 22, 'p', 'ua', first, 0, 16);
    m.macInto(head, 22, 'p', 'x'.repeat(5000), again, 0, 16);
    m.macInto(head, 22, 'p', 'ua', again, 0, 16);
    assert.deepEqual(again, first);
    assert.deepEqual(first, reference(Buffer.from('k'.repeat(40)), head, 'p', 'ua').subarray(0, 16));
  });

  it('reads only headLen bytes of head', () => {
    const key = randomBytes(32);
    const head = randomBytes(40);
    const out = Buffer.alloc(32);
    new HmacSha256(key).macInto(head, 22, 'a', 'b', out, 0, 32);
    assert.deepEqual(out, reference(key, head.subarray(0, 22), 'a', 'b'));
  });
});
