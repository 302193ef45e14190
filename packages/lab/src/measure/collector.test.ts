import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Collector } from './collector.ts';

// Time to mitigate and per-phase figures from hand-placed events (times in ms from t0 = 0).

function run(perSecond: [ok: number, failed: number][], attackFromS: number | null): number | null {
  const c = new Collector(0);
  perSecond.forEach(([ok, failed], s) => {
    for (let i = 0; i < ok; i++) c.legit('critical', 'ok', 10, s * 1000 + 10 + i);
    for (let i = 0; i < failed; i++) c.legit('critical', 'blocked', 10, s * 1000 + 500 + i);
  });
  return c.timeToMitigate(attackFromS);
}

describe('collector', () => {
  const cases: [string, [number, number][], number | null, number | null][] = [
    [
      'never dropped → 0',
      [
        [10, 0],
        [10, 0],
        [10, 0],
        [10, 0],
        [10, 0],
      ],
      1,
      0,
    ],
    [
      'dropped then recovered for good → end of the last bad window',
      [
        [10, 0],
        [2, 8],
        [3, 7],
        [10, 0],
        [10, 0],
        [10, 0],
        [10, 0],
        [10, 0],
      ],
      1,
      3,
    ],
    [
      'a relapse moves the recovery later',
      [
        [10, 0],
        [0, 10],
        [10, 0],
        [10, 0],
        [10, 0],
        [0, 10],
        [10, 0],
        [10, 0],
        [10, 0],
        [10, 0],
        [10, 0],
      ],
      1,
      6,
    ],
    [
      'never recovered → null',
      [
        [10, 0],
        [0, 10],
        [0, 10],
        [0, 10],
        [0, 10],
      ],
      1,
      null,
    ],
    [
      'no attack → null',
      [
        [10, 0],
        [10, 0],
        [10, 0],
      ],
      null,
      null,
    ],
    [
      '95 % exactly counts as good',
      [
        [20, 0],
        [19, 1],
        [19, 1],
        [19, 1],
      ],
      1,
      0,
    ],
  ];
  for (const [name, seconds, from, want] of cases)
    test(`time to mitigate: ${name}`, () => assert.equal(run(seconds, from), want));

  test('solves and refusals: counted per phase and overall, refusals bounded and explained later', () => {
    const c = new Collector(0);
    c.beginPhase('calm', 0);
    c.solved(120, 0);
    c.beginPhase('flood', 1000);
    c.solved(300, 2500);
    const flood = c.phaseSummaries()[1].legit.solved;
    assert.equal(flood.count, 1);
    assert.equal(flood.lab_queue_max_ms, 2500);
    assert.equal(c.overallSummary().legit.solved.count, 2);
    const first = c.refusal('tracking-page', 429, 'abc', 2300);
    assert.deepEqual(first, { t: 2, step: 'tracking-page', status: 429, decision_id: 'abc', rule: null });
    c.refusals[0].rule = 'limits/per-ip';
    for (let i = 0; i < 100; i++) c.refusal('search', 503, null, 3000);
    assert.equal(c.refusals.length, 50, 'bounded');
    assert.equal(c.refusals[0].rule, 'limits/per-ip');
  });

  test('phases split counts; reached-origin ratio is capped at 1', () => {
    const c = new Collector(0);
    c.beginPhase('calm', 0);
    c.legit('static', 'ok', 5, 100);
    c.legit('static', 'challenged', 5, 200);
    for (let i = 0; i < 4; i++) c.attack('served', 300 + i);
    c.beginPhase('flood', 1000);
    for (let i = 0; i < 10; i++) c.attack(i < 6 ? 'refused' : 'served', 1500 + i);
    c.reachedOrigin(4, 1600);
    c.endRun(2000);
    const [calm, flood] = c.phaseSummaries();
    assert.equal(calm.legit.requests, 2);
    assert.deepEqual([calm.start_s, calm.end_s, flood.start_s, flood.end_s], [0, 1, 1, 2]);
    assert.equal(calm.legit.challenged, 1);
    assert.equal(calm.legit.per_class.static.success_ratio, 0.5);
    assert.equal(flood.attack.requests, 10);
    assert.equal(flood.attack.refused, 6);
    assert.equal(flood.attack.reached_origin_ratio, 0.4);
    assert.equal(c.overallSummary().attack.requests, 14);
  });
});
