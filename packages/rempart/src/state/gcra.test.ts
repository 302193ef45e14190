import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GCRA_CASES } from './gcra.cases.ts';
import { gcra } from './gcra.ts';

// The specification itself against the shared table (the store contract runs the same table through backends).
describe('gcra', () => {
  for (const c of GCRA_CASES) {
    it(c.name, () => {
      let tat: number | undefined;
      for (const [i, s] of c.steps.entries()) {
        const out = gcra(s.at, s.cost ?? 1, tat, c.params);
        assert.equal(out.allowed, s.allowed, `step ${i}: allowed`);
        if (s.retryAfterMs !== undefined) assert.ok(Math.abs(out.retryAfterMs - s.retryAfterMs) < 1e-3, `step ${i}`);
        if (s.remaining !== undefined) assert.equal(out.remaining, s.remaining, `step ${i}: remaining`);
        if (out.allowed) tat = out.tat;
        else assert.equal(out.tat, undefined, 'a refusal writes nothing');
      }
    });
  }
});
