import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { listScenarios, loadScenario, quickProfile, ScenarioError, withDuration } from './load-scenario.ts';
import { attackRate, scenarioSchema } from './schema.ts';

const total = (s: { phases: { duration_s: number }[] }) => s.phases.reduce((a, p) => a + p.duration_s, 0);

describe('scenarios', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-scenario-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the shipped scenarios all validate and include the required ones', () => {
    const names = listScenarios().map((s) => s.name);
    for (const n of [
      'ddosia-replay',
      'cache-bust',
      'login-stuffing',
      'slowloris',
      'h2-rapid-reset',
      'low-and-slow',
      'mixed-adaptive',
    ])
      assert.ok(names.includes(n), n);
  });

  test('every quick profile lasts at most 40 s and keeps every phase', () => {
    for (const s of listScenarios()) {
      const q = quickProfile(s);
      assert.ok(total(q) <= 40, `${s.name}: ${total(q)} s`);
      assert.equal(q.phases.length, s.phases.length);
      for (const [i, p] of q.phases.entries())
        for (const [j, a] of p.attacks.entries()) {
          const full = s.phases[i].attacks[j];
          if (a.rate !== undefined && full.rate !== undefined) assert.ok(a.rate <= full.rate && a.rate >= 1);
          else assert.ok((a.rate_x_capacity ?? 0) <= (full.rate_x_capacity ?? 0) && (a.rate_x_capacity ?? 0) > 0);
        }
    }
  });

  test('an attack sets exactly one of rate and rate_x_capacity, and the latter needs a capacity section', () => {
    const base = { name: 'x', description: 'x', legit: {}, capacity: {} };
    const phase = (a: Record<string, unknown>) => [{ name: 'p', duration_s: 1, attacks: [{ vector: 'ddosia', ...a }] }];
    assert.ok(scenarioSchema.safeParse({ ...base, phases: phase({ rate: 10 }) }).success);
    assert.ok(scenarioSchema.safeParse({ ...base, phases: phase({ rate_x_capacity: 20 }) }).success);
    assert.equal(scenarioSchema.safeParse({ ...base, phases: phase({}) }).success, false);
    assert.equal(scenarioSchema.safeParse({ ...base, phases: phase({ rate: 10, rate_x_capacity: 2 }) }).success, false);
    const noCapacity = { name: 'x', description: 'x', legit: {}, phases: phase({ rate_x_capacity: 20 }) };
    assert.equal(scenarioSchema.safeParse(noCapacity).success, false);
    const s = scenarioSchema.parse({ ...base, phases: phase({ rate_x_capacity: 20 }) });
    assert.equal(attackRate(s.phases[0].attacks[0], 57.5), 1150);
    assert.throws(() => attackRate(s.phases[0].attacks[0], null));
  });

  test('--duration keeps phase proportions', () => {
    const s = withDuration(loadScenario('cache-bust'), 120);
    assert.equal(total(s), 120);
  });

  const bad: [string, string, RegExp][] = [
    [
      'unknown vector',
      'name: x\ndescription: d\nlegit: {}\nphases: [{name: p, duration_s: 1, attacks: [{vector: nope, rate: 1}]}]\n',
      /phases\.0\.attacks\.0\.vector/,
    ],
    ['typo key', 'name: x\ndescription: d\nlegit: {}\nphases: [{name: p, duration_s: 1, atacks: []}]\n', /phases\.0/],
    ['no phases', 'name: x\ndescription: d\nlegit: {}\nphases: []\n', /phases/],
    [
      'negative rate',
      'name: x\ndescription: d\nlegit: {}\nphases: [{name: p, duration_s: 1, attacks: [{vector: ddosia, rate: -5}]}]\n',
      /rate/,
    ],
  ];
  for (const [name, yaml, where] of bad) {
    test(`rejects a scenario with ${name}, naming the field`, () => {
      const f = join(dir, `${name.replace(/ /g, '-')}.yaml`);
      writeFileSync(f, yaml);
      assert.throws(
        () => loadScenario(f),
        (e: unknown) => e instanceof ScenarioError && where.test(e.message),
      );
    });
  }

  test('an unknown scenario name is a clear error', () => {
    assert.throws(() => loadScenario('no-such-scenario'), /scenario not found/);
  });
});
