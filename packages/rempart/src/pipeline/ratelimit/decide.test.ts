import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideDistinct, decideRate } from './decide.ts';

const enforce = { rule: 'ratelimit/per-ip', dryRun: false };
const dry = { rule: 'ratelimit/per-ip', dryRun: true };

describe('ratelimit decide', () => {
  const cases: [
    string,
    Parameters<typeof decideRate>[0],
    Parameters<typeof decideRate>[1],
    string,
    boolean,
    number?,
  ][] = [
    ['allowed: pass', enforce, { allowed: true, retryAfterMs: 0, remaining: 3 }, 'pass', false],
    [
      'refused: 429 with Retry-After rounded up',
      enforce,
      { allowed: false, retryAfterMs: 1200, remaining: 0 },
      'limit',
      false,
      2,
    ],
    [
      'refused for under a second: Retry-After 1',
      enforce,
      { allowed: false, retryAfterMs: 3, remaining: 0 },
      'limit',
      false,
      1,
    ],
    ['dry-run refusal: pass, traced', dry, { allowed: false, retryAfterMs: 1200, remaining: 0 }, 'pass', true],
    ['dry-run allowed: nothing to trace', dry, { allowed: true, retryAfterMs: 0, remaining: 0 }, 'pass', false],
  ];
  for (const [name, rule, res, kind, would, retry] of cases) {
    it(name, () => {
      const d = decideRate(rule, res);
      assert.equal(d.verdict.kind, kind);
      assert.equal(d.wouldLimit, would);
      if (d.verdict.kind === 'limit') {
        assert.equal(d.verdict.status, 429);
        assert.equal(d.verdict.rule, 'ratelimit/per-ip');
        assert.equal(d.verdict.retryAfterS, retry);
      }
    });
  }

  it('distinct: exceeded → 429 until the window starts over', () => {
    const d = decideDistinct(enforce, { count: 6, exceeded: true, retryAfterMs: 42_000 });
    assert.deepEqual(d.verdict, { kind: 'limit', rule: 'ratelimit/per-ip', status: 429, retryAfterS: 42 });
  });
  it('distinct: within the limit → pass', () => {
    assert.equal(decideDistinct(enforce, { count: 2, exceeded: false, retryAfterMs: 0 }).verdict.kind, 'pass');
  });
});
