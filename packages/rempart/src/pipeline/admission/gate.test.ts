import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideGate, queueClass } from './stage.ts';

test('a cached answer needs no origin slot, whatever the mode', () => {
  assert.equal(decideGate('bulk', true, true, false), 'skip');
  assert.equal(decideGate('critical', true, false, false), 'skip');
});

test('a shed-bulk mode sheds uncached bulk requests from unknown clients only', () => {
  assert.equal(decideGate('bulk', false, true, false), 'shed');
  assert.equal(decideGate('bulk', false, true, true), 'acquire', 'a cleared or logged-in client still queues');
  for (const cls of ['critical', 'normal', 'static'] as const)
    assert.equal(decideGate(cls, false, true, false), 'acquire');
  assert.equal(decideGate('bulk', false, false, false), 'acquire', 'outside the mode, bulk queues like the rest');
});

test("a known client's bulk request queues as normal; nothing else changes queue", () => {
  assert.equal(queueClass('bulk', true), 'normal');
  assert.equal(queueClass('bulk', false), 'bulk');
  for (const cls of ['critical', 'normal', 'static'] as const) assert.equal(queueClass(cls, true), cls);
});
