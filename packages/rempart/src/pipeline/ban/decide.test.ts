import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileAutoBan, decideAutoBan, decideBan } from './decide.ts';

const entry = { target: '192.0.2.7', rule: 'manual', reason: 'ops', createdAt: 0, expiresAt: 1000 };

describe('ban decide', () => {
  it('no entry: pass', () => assert.equal(decideBan(undefined, false).kind, 'pass'));
  it('an entry: 403 ban/<rule>', () =>
    assert.deepEqual(decideBan(entry, false), { kind: 'block', rule: 'ban/manual', status: 403 }));
  it('allow-listed clients are never banned in effect', () => assert.equal(decideBan(entry, true).kind, 'pass'));
});

describe('auto-ban decide', () => {
  const rule = compileAutoBan({ after_refusals: 3, window_s: 60, ttl_s: 600, scope: 'prefix', mode: 'enforce' });
  assert.ok(rule);
  const cases: [name: string, refusals: number, bans: boolean][] = [
    ['below the threshold', 2, false],
    ['at the threshold: not yet ("more than")', 3, false],
    ['past the threshold', 3.01, true],
    ['far past', 50, true],
  ];
  for (const [name, n, bans] of cases) {
    it(name, () => {
      const e = decideAutoBan(n, '192.0.2.0/24', 5_000, rule);
      assert.equal(e !== undefined, bans);
      if (e) {
        assert.equal(e.target, '192.0.2.0/24');
        assert.equal(e.rule, 'auto');
        assert.equal(e.expiresAt, 5_000 + 600_000);
      }
    });
  }
  it('no auto_ban section: no rule', () => assert.equal(compileAutoBan(undefined), undefined));
});
