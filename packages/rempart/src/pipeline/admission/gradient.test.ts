import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createManualClock } from '../../core/clock.ts';
import { GradientLimit, type GradientParams } from './gradient.ts';

const P: GradientParams = {
  initial: 20,
  min: 4,
  max: 200,
  sampleWindowMs: 100,
  percentile: 0.9,
  minRttIntervalMs: 10_000,
  minRttSamples: 10,
  buffer: 0.25,
  smoothing: 0.5,
};

/** Feeds `n` samples of `latency` spread over one window, at `inFlight`. */
function window(
  g: GradientLimit,
  clock: ReturnType<typeof createManualClock>,
  latency: number,
  inFlight: number,
  n = 10,
) {
  for (let i = 0; i < n; i++) {
    clock.advance(P.sampleWindowMs / n);
    g.sample(latency, clock.mono(), inFlight);
  }
}

function measured(latency = 50) {
  const clock = createManualClock();
  const g = new GradientLimit(P);
  window(g, clock, latency, P.min, P.minRttSamples);
  return { clock, g };
}

describe('gradient limit', () => {
  test('measures minRTT first at the minimum, then runs at the initial limit', () => {
    assert.equal(new GradientLimit(P).limit, P.min);
    const { g } = measured(50);
    assert.equal(g.phase, 'run');
    assert.equal(g.minRttMs, 50);
    assert.equal(g.limit, 20);
  });

  test('grows by about √limit while latency stays at minRTT and the limit is used', () => {
    const { clock, g } = measured(50);
    window(g, clock, 50, 20);
    assert.ok(g.limit > 20, `limit ${g.limit}`);
    const before = g.limit;
    window(g, clock, 50, before);
    assert.ok(g.limit > before);
  });

  test('does not grow from an app-limited window (in-flight far below the limit)', () => {
    const { clock, g } = measured(50);
    window(g, clock, 50, 3);
    assert.equal(g.limit, 20);
  });

  test('shrinks when latency rises well above minRTT, never below min', () => {
    const { clock, g } = measured(50);
    window(g, clock, 400, 20);
    assert.ok(g.limit < 20, `limit ${g.limit}`);
    for (let i = 0; i < 30; i++) window(g, clock, 1_000, 20);
    assert.equal(g.limit, P.min);
  });

  test('never above max', () => {
    const { clock, g } = measured(50);
    for (let i = 0; i < 200; i++) window(g, clock, 40, g.limit);
    assert.equal(g.limit, P.max);
  });

  test('re-measures minRTT at min concurrency after the interval, then restores the limit', () => {
    const { clock, g } = measured(50);
    for (let i = 0; i < 5; i++) window(g, clock, 50, g.limit);
    const learned = g.limit;
    clock.advance(P.minRttIntervalMs);
    g.sample(50, clock.mono(), g.limit); // closes the window, past the interval
    assert.equal(g.phase, 'measure-min-rtt');
    assert.equal(g.limit, P.min);
    window(g, clock, 80, P.min, P.minRttSamples);
    assert.equal(g.phase, 'run');
    assert.equal(g.minRttMs, 80);
    assert.ok(g.limit >= learned, `${g.limit} >= ${learned}`);
  });

  test('while measuring, samples completed above the minimum concurrency are ignored', () => {
    const clock = createManualClock();
    const g = new GradientLimit(P);
    window(g, clock, 500, 30, P.minRttSamples); // stragglers from a higher concurrency
    assert.equal(g.phase, 'measure-min-rtt');
    window(g, clock, 60, P.min, P.minRttSamples);
    assert.equal(g.minRttMs, 60);
  });

  test('reconfigure clamps the learned limit to new bounds', () => {
    const { g } = measured(50);
    g.reconfigure({ ...P, max: 8 });
    assert.equal(g.limit, 8);
  });
});
