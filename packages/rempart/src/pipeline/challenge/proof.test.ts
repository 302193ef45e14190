import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { test } from 'node:test';
import { createContext, runInContext } from 'node:vm';
import { solveScrypt } from '../../../client/solve.ts';
import { leadingZeroBits } from './pow.ts';
import { createScryptVerifier, decodeProof, encodeProof, type ScryptSpec, scryptHash } from './proof.ts';
import { SCRYPT_JS } from './scrypt-js.ts';
import { WORKER_JS } from './worker-script.ts';

// The browser's scrypt (the worker's own source text, run here by Node) against node:crypto, the signed proof
// encoding, and the bounded server check.

type JsScrypt = (P: Uint8Array, S: Uint8Array, N: number, r: number, p: number, dk: number) => Promise<Uint8Array>;
const jsScrypt = new Function(`${SCRYPT_JS}return scrypt`)() as JsScrypt;
const enc = new TextEncoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('the worker scrypt gives the RFC 7914 test vectors', async () => {
  assert.equal(
    hex(await jsScrypt(enc.encode(''), enc.encode(''), 16, 1, 1, 64)),
    '77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906',
  );
  assert.equal(
    hex(await jsScrypt(enc.encode('password'), enc.encode('NaCl'), 1024, 8, 16, 64)),
    'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640',
  );
});

test('the worker scrypt equals node:crypto scryptSync across parameters', async () => {
  for (const [N, r, p] of [
    [1024, 8, 1],
    [2048, 4, 2],
    [4096, 8, 1],
    [1024, 16, 3],
    [1024, 1, 1],
  ]) {
    const pw = `chal-${N}-${r}-${p}:${N + r}`;
    const salt = `chal-${N}-${r}-${p}`;
    const want = scryptSync(pw, salt, 32, { N, r, p, maxmem: 64 << 20 });
    assert.equal(
      hex(await jsScrypt(enc.encode(pw), enc.encode(salt), N, r, p, 32)),
      want.toString('hex'),
      `${N},${r},${p}`,
    );
  }
});

test('the served worker finds a scrypt proof the server accepts, and reports progress', async () => {
  const messages: Record<string, unknown>[] = [];
  let done: (m: Record<string, unknown>) => void = () => {};
  const found = new Promise<Record<string, unknown>>((r) => {
    done = r;
  });
  const scope: Record<string, unknown> = {
    crypto: globalThis.crypto,
    TextEncoder,
    postMessage: (m: Record<string, unknown>) => {
      messages.push(m);
      if (m.n !== undefined || m.e !== undefined) done(m);
    },
  };
  const ctx = createContext(scope);
  runInContext(WORKER_JS, ctx);
  const spec: ScryptSpec = { alg: 'scrypt', bits: 3, n: 1024, r: 8, p: 1 };
  (scope.onmessage as (e: unknown) => void)({ data: { c: 'wk-chal', b: 3, a: 'scrypt', N: 1024, r: 8, p: 1 } });
  const m = await found;
  assert.equal(typeof m.n, 'string', JSON.stringify(m));
  assert.ok(leadingZeroBits(await scryptHash('wk-chal', m.n as string, spec)) >= 3);
  assert.equal(messages.filter((x) => x.p !== undefined).length, Number(m.n), 'one progress message per miss');
});

test('the proof and its parameters travel in the signed aux field; SHA-256 tokens keep their old value', () => {
  assert.deepEqual(decodeProof(14), { alg: 'sha256', bits: 14 });
  assert.equal(encodeProof({ alg: 'sha256', bits: 14 }), 14);
  const s: ScryptSpec = { alg: 'scrypt', bits: 6, n: 4096, r: 8, p: 1 };
  assert.deepEqual(decodeProof(encodeProof(s)), s);
  const big: ScryptSpec = { alg: 'scrypt', bits: 16, n: 16384, r: 16, p: 4 };
  assert.deepEqual(decodeProof(encodeProof(big)), big);
  // Values no gateway issues: N below 2^10 or above 2^14, r or p out of bounds, more than 32 bits.
  for (const aux of [
    (9 << 24) | (8 << 16) | (1 << 8) | 4,
    (15 << 24) | (8 << 16) | (1 << 8),
    (10 << 24) | (1 << 8),
    (10 << 24) | (8 << 16) | (5 << 8),
    40,
  ]) {
    assert.equal(decodeProof(aux >>> 0), undefined, String(aux));
  }
});

test('the server check accepts a right counter, refuses a wrong or malformed one, and bounds work in flight', async () => {
  const spec: ScryptSpec = { alg: 'scrypt', bits: 4, n: 1024, r: 8, p: 1 };
  const good = await solveScrypt('srv-chal', 4, spec);
  let wrong = Number(good) + 1;
  while (leadingZeroBits(await scryptHash('srv-chal', String(wrong), spec)) >= 4) wrong++;
  const v = createScryptVerifier(() => 2);
  assert.equal(await v.check('srv-chal', good, spec), true);
  assert.equal(await v.check('srv-chal', String(wrong), spec), false);
  assert.equal(await v.check('srv-chal', '12x', spec), false);
  const a = v.check('srv-chal', good, spec);
  const b = v.check('srv-chal', good, spec);
  assert.equal(v.busy(), true);
  assert.equal(v.check('srv-chal', good, spec), 'busy');
  assert.equal(v.inFlight(), 2);
  assert.deepEqual(await Promise.all([a, b]), [true, true]);
  assert.equal(v.inFlight(), 0);
  assert.equal(v.busy(), false);
});
