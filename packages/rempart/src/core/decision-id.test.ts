import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decisionIdOf, decisionSeq, newDecisionId } from './decision-id.ts';

test('an id of this process gives back its counter, and the counter the same id', () => {
  const a = newDecisionId();
  const b = newDecisionId();
  assert.equal(a.length, 14);
  assert.equal(decisionSeq(b), decisionSeq(a) + 1);
  assert.equal(decisionIdOf(decisionSeq(a)), a);
  assert.equal(decisionIdOf(0x7ffffffe).length, 14);
  assert.equal(decisionSeq(decisionIdOf(0x7ffffffe)), 0x7ffffffe);
});

test('anything else is no id of this process', () => {
  const a = newDecisionId();
  for (const s of ['', 'nope', `${a}0`, a.slice(0, -1), `00000000${a.slice(8)}`, a.toUpperCase(), `${a.slice(0, 13)}-`])
    if (s !== a) assert.equal(decisionSeq(s), -1, JSON.stringify(s));
});
