import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkProof, solve } from './pow.ts';
import { createSigner, IdLedger, isToken, KIND_CHALLENGE, KIND_CLEARANCE, TOKEN_CHARS } from './token.ts';

const K1 = 'k1-0123456789abcdef0123456789abcdef';
const K2 = 'k2-0123456789abcdef0123456789abcdef';
const who = { prefix: '203.0.113.0/24', userAgent: 'Mozilla/5.0 test' };
const now = 1_700_000_000;

test('sign then verify returns the fields', () => {
  const s = createSigner(K1);
  const t = s.sign(KIND_CLEARANCE, now + 60, 500, who);
  assert.equal(t.length, TOKEN_CHARS);
  const r = s.verify(t, KIND_CLEARANCE, who, now);
  assert.ok(isToken(r));
  assert.equal(r.exp, now + 60);
  assert.equal(r.aux, 500);
  assert.equal(r.nbf, 0, 'no not-before unless given');
});

test('every single-character tampering is refused', () => {
  const s = createSigner(K1);
  const t = s.sign(KIND_CLEARANCE, now + 60, 500, who);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  for (let i = 0; i < t.length - 1; i++) {
    const c = alphabet[(alphabet.indexOf(t[i]) + 1) % 64];
    const bad = t.slice(0, i) + c + t.slice(i + 1);
    assert.equal(isToken(s.verify(bad, KIND_CLEARANCE, who, now)), false, `position ${i}`);
  }
  assert.equal(s.verify(`${t}A`, KIND_CLEARANCE, who, now), 'malformed');
  assert.equal(s.verify('', KIND_CLEARANCE, who, now), 'malformed');
});

test('expiry', () => {
  const s = createSigner(K1);
  const t = s.sign(KIND_CLEARANCE, now + 60, 1, who);
  assert.ok(isToken(s.verify(t, KIND_CLEARANCE, who, now + 59)));
  assert.equal(s.verify(t, KIND_CLEARANCE, who, now + 60), 'expired');
});

test('binding to prefix and user agent', () => {
  const s = createSigner(K1);
  const t = s.sign(KIND_CLEARANCE, now + 60, 1, who);
  assert.equal(s.verify(t, KIND_CLEARANCE, { ...who, prefix: '198.51.100.0/24' }, now), 'mac');
  assert.equal(s.verify(t, KIND_CLEARANCE, { ...who, userAgent: 'curl/8' }, now), 'mac');
});

test('a token of one kind is not accepted as another', () => {
  const s = createSigner(K1);
  const t = s.sign(KIND_CHALLENGE, now + 60, 14, who);
  assert.equal(s.verify(t, KIND_CLEARANCE, who, now), 'kind');
});

test('rotation: previous key still verifies, a retired key does not', () => {
  const old = createSigner(K1);
  const t = old.sign(KIND_CLEARANCE, now + 60, 1, who);
  const rotated = createSigner(K2, K1);
  assert.ok(isToken(rotated.verify(t, KIND_CLEARANCE, who, now)));
  assert.ok(isToken(rotated.verify(rotated.sign(KIND_CLEARANCE, now + 60, 1, who), KIND_CLEARANCE, who, now)));
  const retired = createSigner(K2);
  assert.equal(isToken(retired.verify(t, KIND_CLEARANCE, who, now)), false);
});

test("a challenge's no-JS not-before is signed with it, next to the full 32-bit proof field", () => {
  const s = createSigner(K1);
  const t = s.sign(KIND_CHALLENGE, now + 120, 0xffffffff, who, now + 5);
  const r = s.verify(t, KIND_CHALLENGE, who, now);
  assert.ok(isToken(r));
  assert.deepEqual([r.aux, r.nbf, r.exp], [0xffffffff, now + 5, now + 120]);
  // The not-before is covered by the MAC: moving it earlier breaks the token.
  const raw = Buffer.from(t, 'base64url');
  raw.writeUInt32BE(now, 10);
  assert.equal(s.verify(raw.toString('base64url'), KIND_CHALLENGE, who, now), 'mac');
});

test('random ids differ from token to token', () => {
  const s = createSigner(K1);
  const ids = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const r = s.verify(s.sign(KIND_CHALLENGE, now + 60, 14, who, now + 5), KIND_CHALLENGE, who, now);
    ids.add(isToken(r) ? r.id : assert.fail(String(r)));
  }
  assert.equal(ids.size, 1000);
});

test('nonces are single-use; eviction never re-opens a replay', () => {
  const s = createSigner(K1);
  const ledger = new IdLedger(3);
  const toks = [0, 1, 2, 3, 4].map((i) =>
    s.verify(s.sign(KIND_CHALLENGE, now + 10 + i, 1, who), KIND_CHALLENGE, who, now),
  );
  const t = toks.map((x) => (isToken(x) ? x : assert.fail(String(x))));
  assert.equal(ledger.useOnce(t[0], now), true);
  assert.equal(ledger.useOnce(t[0], now), false, 'replay');
  ledger.useOnce(t[1], now);
  ledger.useOnce(t[2], now);
  assert.equal(ledger.useOnce(t[3], now), true); // evicts t[0]
  assert.equal(ledger.size, 3);
  assert.equal(ledger.useOnce(t[0], now), false, 'evicted nonce still refused');
  assert.equal(ledger.useOnce(t[4], now), true);
});

test('clearance budget counts requests, then refuses; revoke stops it early', () => {
  const s = createSigner(K1);
  const ledger = new IdLedger(100);
  const r = s.verify(s.sign(KIND_CLEARANCE, now + 60, 3, who), KIND_CLEARANCE, who, now);
  assert.ok(isToken(r));
  assert.deepEqual(
    [1, 2, 3, 4].map(() => ledger.spend(r, r.aux, now)),
    [true, true, true, false],
  );
  const r2 = s.verify(s.sign(KIND_CLEARANCE, now + 60, 3, who), KIND_CLEARANCE, who, now);
  assert.ok(isToken(r2));
  ledger.revoke(r2, now);
  assert.equal(ledger.spend(r2, r2.aux, now), false);
});

test('proof of work: a solution checks, a wrong one does not', () => {
  const c = 'abc';
  const n = solve(c, 8);
  assert.ok(n !== undefined);
  assert.equal(checkProof(c, n, 8), true);
  assert.equal(checkProof('abd', n, 8) && checkProof('abe', n, 8) && checkProof('abf', n, 8), false);
  assert.equal(checkProof(c, '12x', 1), false);
  assert.equal(checkProof(c, '1'.repeat(17), 0), false);
});
