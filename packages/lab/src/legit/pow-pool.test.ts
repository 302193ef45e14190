import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkProof, leadingZeroBits } from '../../../rempart/src/pipeline/challenge/pow.ts';
import { scryptHash } from '../../../rempart/src/pipeline/challenge/proof.ts';
import { createPowPool } from './pow-pool.ts';

test('solves on worker threads, gives up past maxTries, refuses beyond its queue bound', async () => {
  const pool = createPowPool(1, 2);
  try {
    const [a, b] = await Promise.all([pool.solve('c-one', 10, 1 << 20), pool.solve('c-two', 10, 1 << 20)]);
    assert.ok(a.counter !== undefined && checkProof('c-one', a.counter, 10));
    assert.ok(b.counter !== undefined && checkProof('c-two', b.counter, 10));
    assert.equal((await pool.solve('c-hard', 30, 10)).counter, undefined, 'gave up like a weak phone');
    const burst = [pool.solve('c-x', 12, 1 << 20), pool.solve('c-y', 12, 1 << 20), pool.solve('c-z', 12, 1 << 20)];
    const got = await Promise.all(burst);
    assert.equal(got[2].counter, undefined, 'third waiting solve refused (bound 2)');
    assert.ok(got[0].counter !== undefined && got[1].counter !== undefined);
  } finally {
    await pool.close();
  }
});

test('reports the wait for a free thread apart from the solve itself', async () => {
  const pool = createPowPool(1, 4);
  try {
    // One thread, a fixed 2^14 tries each (a 30-bit target is never met): the second job waits for the first.
    const [a, b] = await Promise.all([pool.solve('q-one', 30, 1 << 14), pool.solve('q-two', 30, 1 << 14)]);
    assert.ok(a.ms > 0 && b.ms > 0);
    assert.ok(b.queuedMs >= a.ms * 0.5, `second job queued ${b.queuedMs} ms behind a ${a.ms} ms solve`);
    assert.ok(a.queuedMs < b.queuedMs);
  } finally {
    await pool.close();
  }
});

test('solves scrypt challenges on the same threads, with the parameters the gateway signed', async () => {
  const pool = createPowPool(1, 4);
  try {
    const spec = { alg: 'scrypt', bits: 3, n: 1024, r: 8, p: 1 } as const;
    const [a, b] = await Promise.all([pool.solve('s-one', 3, 1 << 10, spec), pool.solve('s-two', 3, 1 << 10, spec)]);
    for (const [c, s] of [
      ['s-one', a],
      ['s-two', b],
    ] as const) {
      assert.ok(s.counter !== undefined);
      assert.ok(leadingZeroBits(await scryptHash(c, s.counter, spec)) >= 3, c);
    }
    assert.equal((await pool.solve('s-hard', 16, 4, spec)).counter, undefined, 'gave up after 4 guesses');
  } finally {
    await pool.close();
  }
});
