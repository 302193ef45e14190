import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { autoBanEntry, compileAutoBan, decideBan, overThreshold } from './decide.ts';

const entry = { target: '192.0.2.7', rule: 'manual', reason: 'ops', createdAt: 0, expiresAt: 1000 };

describe('ban decide', () => {
  it('no entry: pass', () => assert.equal(decideBan(undefined, false).kind, 'pass'));
  it('an entry: 403 ban/<rule>', () =>
    assert.deepEqual(decideBan(entry, false), { kind: 'block', rule: 'ban/manual', status: 403 }));
  it('allow-listed clients are never banned in effect', () => assert.equal(decideBan(entry, true).kind, 'pass'));
});

describe('auto-ban decide', () => {
  const rule = compileAutoBan({
    after_refusals: 3,
    window_s: 60,
    ttl_s: 600,
    max_ttl_s: 3_000,
    escalate_window_s: 86_400,
    scope: 'prefix',
    mode: 'enforce',
  });
  assert.ok(rule);
  const cases: [name: string, refusals: number, bans: boolean][] = [
    ['below the threshold', 2, false],
    ['at the threshold: not yet ("more than")', 3, false],
    ['past the threshold', 3.01, true],
    ['far past', 50, true],
  ];
  for (const [name, n, bans] of cases) {
    it(name, () => {
      assert.equal(overThreshold(n, rule), bans);
    });
  }
  it('a first ban lasts ttl_s; each earlier ban doubles it, up to max_ttl_s', () => {
    const e = autoBanEntry('192.0.2.0/24', 5_000, rule, 0);
    assert.deepEqual([e.target, e.rule, e.expiresAt], ['192.0.2.0/24', 'auto', 5_000 + 600_000]);
    const ttls = [0, 1, 2, 3, 10].map((n) => (autoBanEntry('t', 0, rule, n).expiresAt / 1000) | 0);
    assert.deepEqual(ttls, [600, 1_200, 2_400, 3_000, 3_000]);
    assert.match(autoBanEntry('t', 0, rule, 2).reason, /ban 3 in a row/);
  });
  it('no auto_ban section: no rule', () => assert.equal(compileAutoBan(undefined), undefined));
});
