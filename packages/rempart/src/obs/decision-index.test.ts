import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeqIndex } from './decision-index.ts';

// The index against a Map model: a ring of slots filled in order with random (often colliding) counters,
// each overwrite deleting the evicted entry first, as DecisionRing does.
test('find/set/delete agree with a Map through many wrap-arounds and collisions', () => {
  const capacity = 64;
  const seqs = new Int32Array(capacity);
  const index = new SeqIndex(capacity, seqs);
  const model = new Map<number, number>();
  let rand = 12345;
  const next = () => {
    rand = (Math.imul(rand, 1103515245) + 12345) & 0x7fffffff;
    return rand;
  };
  for (let n = 0; n < 20_000; n++) {
    const slot = n % capacity;
    if (n >= capacity) {
      index.delete(seqs[slot], slot);
      if (model.get(seqs[slot]) === slot) model.delete(seqs[slot]);
    }
    // A small key space makes repeated ids and long probe runs common.
    const seq = n % 3 === 0 ? next() % 200 : next();
    seqs[slot] = seq;
    index.set(seq, slot);
    model.set(seq, slot);
    if (n % 97 === 0) {
      for (const [k, v] of model) assert.equal(index.find(k), v, `seq ${k}`);
      assert.equal(index.find(0x7ffffffe), model.get(0x7ffffffe) ?? -1);
    }
  }
});
