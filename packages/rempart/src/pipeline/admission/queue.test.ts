import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RouteClass } from '../types.ts';
import { AdmissionQueue } from './queue.ts';

const DEADLINES = { critical: 5_000, normal: 2_000, static: 1_000, bulk: 500 };
interface W {
  cls: RouteClass;
  enqueuedAt: number;
  n: number;
}
const noStale = (x: W): void => assert.fail(`unexpected stale ${x.n}`);
const w = (cls: RouteClass, n: number, enqueuedAt = 0): W => ({ cls, n, enqueuedAt });

describe('admission queue', () => {
  test('serves critical > normal > static > bulk, FIFO within a class', () => {
    const q = new AdmissionQueue<W>(10, DEADLINES);
    for (const x of [w('bulk', 1), w('static', 2), w('normal', 3), w('critical', 4), w('normal', 5)]) q.push(x);
    const order: number[] = [];
    for (let x = q.shift(0, noStale); x !== undefined; x = q.shift(0, noStale)) order.push(x.n);
    assert.deepEqual(order, [4, 3, 5, 2, 1]);
    assert.equal(q.size, 0);
  });

  test('full: a critical arrival evicts the oldest queued bulk one', () => {
    const q = new AdmissionQueue<W>(3, DEADLINES);
    q.push(w('bulk', 1));
    q.push(w('bulk', 2));
    q.push(w('normal', 3));
    const r = q.push(w('critical', 4));
    assert.equal(r.accepted, true);
    assert.equal(r.accepted && r.evicted?.n, 1);
    assert.equal(q.size, 3);
    assert.equal(q.lengthOf('bulk'), 1);
  });

  test('full: static evicts bulk before anything else; normal evicts static when no bulk waits', () => {
    const q = new AdmissionQueue<W>(2, DEADLINES);
    q.push(w('static', 1));
    q.push(w('bulk', 2));
    const a = q.push(w('normal', 3));
    assert.equal(a.accepted && a.evicted?.n, 2);
    const b = q.push(w('normal', 4));
    assert.equal(b.accepted && b.evicted?.n, 1);
  });

  test('full: an arrival of the lowest class waiting (or lower) is refused', () => {
    const q = new AdmissionQueue<W>(2, DEADLINES);
    q.push(w('normal', 1));
    q.push(w('critical', 2));
    assert.deepEqual(q.push(w('bulk', 3)), { accepted: false });
    assert.deepEqual(q.push(w('normal', 4)), { accepted: false });
    assert.equal(q.size, 2);
  });

  test('stale entries are dropped at dequeue, per class deadline', () => {
    const q = new AdmissionQueue<W>(10, DEADLINES);
    q.push(w('critical', 1, 0));
    q.push(w('bulk', 2, 0));
    q.push(w('bulk', 3, 900));
    const stale: number[] = [];
    assert.equal(q.shift(1_000, (x) => stale.push(x.n))?.n, 1); // critical: 1 s < 5 s
    assert.equal(q.shift(1_000, (x) => stale.push(x.n))?.n, 3);
    assert.deepEqual(stale, [2]);
  });

  test('expire() drops every waiter past its deadline without serving any', () => {
    const q = new AdmissionQueue<W>(10, DEADLINES);
    q.push(w('bulk', 1, 0));
    q.push(w('normal', 2, 0));
    q.push(w('critical', 3, 0));
    const stale: number[] = [];
    assert.equal(
      q.expire(2_500, (x) => stale.push(x.n)),
      2,
    );
    assert.deepEqual(stale.sort(), [1, 2]);
    assert.equal(q.size, 1);
  });
});
