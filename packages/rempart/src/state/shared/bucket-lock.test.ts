import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createMetrics } from '../../obs/metrics.ts';
import { lock, lockTakeovers, unlock } from './bucket-lock.ts';

it('lock takes a free word and unlock frees it', () => {
  const words = new Int32Array(new SharedArrayBuffer(8));
  lock(words, 1);
  assert.notEqual(Atomics.load(words, 1), 0);
  assert.equal(Atomics.load(words, 0), 0);
  unlock(words, 1);
  assert.equal(Atomics.load(words, 1), 0);
});

it('a word held by the same holder for about a second is taken over, once, and /metrics counts it', async () => {
  const words = new Int32Array(new SharedArrayBuffer(4));
  Atomics.store(words, 0, 0x7fff0001); // a holder that died inside its critical section
  const before = lockTakeovers;
  const t = performance.now();
  lock(words, 0);
  const waited = performance.now() - t;
  assert.equal(lockTakeovers, before + 1);
  assert.notEqual(Atomics.load(words, 0), 0x7fff0001);
  assert.ok(waited >= 900 && waited < 20_000, `waited ${waited} ms`);
  unlock(words, 0);
  const text = await createMetrics({ processMetrics: false }).expose();
  assert.match(text, new RegExp(`^rempart_state_shared_lock_takeovers_total ${before + 1}$`, 'm'));
});
