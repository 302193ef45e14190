import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SolveRate } from './solve-rate.ts';

test('no cap until enough solve reports', () => {
  const r = new SolveRate();
  for (let i = 0; i < 4; i++) r.report(16, 500);
  assert.equal(r.capBits(8_000), 32);
});

test('cap follows measured speed: 2^16 hashes in 500 ms → 2^20 fit in 8 s', () => {
  const r = new SolveRate();
  for (let i = 0; i < 20; i++) r.report(16, 500);
  assert.equal(r.capBits(8_000), 20);
});

test('one slow or lying report moves the cap by little', () => {
  const r = new SolveRate();
  for (let i = 0; i < 20; i++) r.report(16, 500);
  r.report(16, 500_000);
  assert.ok(r.capBits(8_000) >= 19);
});

test('weak devices lower the cap', () => {
  const r = new SolveRate();
  for (let i = 0; i < 200; i++) r.report(14, 4_000);
  assert.equal(r.capBits(8_000), 15);
});
