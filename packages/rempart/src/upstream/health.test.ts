import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from '../core/clock.ts';
import {
  admit,
  type HealthParams,
  healthStatus,
  newHealthState,
  recordProbe,
  recordResult,
  retryAfterS,
} from './health.ts';

const p: HealthParams = {
  active: true,
  unhealthyAfter: 3,
  healthyAfter: 2,
  ejectAfterFailures: 3,
  ejectBaseMs: 1_000,
  ejectMaxMs: 4_000,
};

describe('health: passive ejection', () => {
  it('ejects after N consecutive failures, a success resets the count', () => {
    const clock = createManualClock();
    const s = newHealthState(clock.mono());
    recordResult(s, false, false, clock.mono(), p);
    recordResult(s, false, false, clock.mono(), p);
    recordResult(s, true, false, clock.mono(), p);
    assert.equal(s.failures, 0);
    recordResult(s, false, false, clock.mono(), p);
    recordResult(s, false, false, clock.mono(), p);
    assert.equal(recordResult(s, false, false, clock.mono(), p), 'ejected');
    assert.equal(healthStatus(s, clock.mono()), 'ejected');
    assert.equal(admit(s, clock.mono()), 'refuse');
    assert.equal(retryAfterS(s, clock.mono(), 2_000), 1);
  });

  it('lets exactly one trial through when the back-off runs out; failure doubles it, success closes', () => {
    const clock = createManualClock();
    const s = newHealthState(clock.mono());
    for (let i = 0; i < 3; i++) recordResult(s, false, false, clock.mono(), p);
    clock.advance(1_000);
    assert.equal(healthStatus(s, clock.mono()), 'half-open');
    assert.equal(admit(s, clock.mono()), 'trial');
    assert.equal(admit(s, clock.mono()), 'refuse', 'second request while the trial runs');
    assert.equal(recordResult(s, false, true, clock.mono(), p), 'ejected');
    assert.equal(s.ejectedUntil - clock.mono(), 2_000, 'back-off doubled');
    clock.advance(2_000);
    assert.equal(admit(s, clock.mono()), 'trial');
    assert.equal(recordResult(s, false, true, clock.mono(), p), 'ejected');
    assert.equal(s.ejectedUntil - clock.mono(), 4_000);
    clock.advance(4_000);
    assert.equal(admit(s, clock.mono()), 'trial');
    assert.equal(recordResult(s, false, true, clock.mono(), p), 'ejected');
    assert.equal(s.ejectedUntil - clock.mono(), 4_000, 'capped');
    clock.advance(4_000);
    assert.equal(admit(s, clock.mono()), 'trial');
    assert.equal(recordResult(s, true, true, clock.mono(), p), 'restored');
    assert.equal(healthStatus(s, clock.mono()), 'up');
    assert.equal(admit(s, clock.mono()), 'go');
  });
});

describe('health: active probes', () => {
  it('goes down after unhealthy_after failed probes and up after healthy_after good ones', () => {
    const clock = createManualClock();
    const s = newHealthState(clock.mono());
    assert.equal(recordProbe(s, false, clock.mono(), p), undefined);
    assert.equal(recordProbe(s, true, clock.mono(), p), undefined, 'a good probe breaks the streak');
    recordProbe(s, false, clock.mono(), p);
    recordProbe(s, false, clock.mono(), p);
    assert.equal(recordProbe(s, false, clock.mono(), p), 'down');
    assert.equal(healthStatus(s, clock.mono()), 'down');
    assert.equal(admit(s, clock.mono()), 'refuse');
    assert.equal(retryAfterS(s, clock.mono(), 2_500), 3);
    assert.equal(recordProbe(s, true, clock.mono(), p), undefined);
    assert.equal(recordProbe(s, true, clock.mono(), p), 'up');
    assert.equal(admit(s, clock.mono()), 'go');
  });

  it('a good probe after the ejection window closes the ejection', () => {
    const clock = createManualClock();
    const s = newHealthState(clock.mono());
    for (let i = 0; i < 3; i++) recordResult(s, false, false, clock.mono(), p);
    assert.equal(recordProbe(s, true, clock.mono(), p), undefined, 'still inside the window');
    clock.advance(1_000);
    assert.equal(recordProbe(s, true, clock.mono(), p), 'restored');
    assert.equal(healthStatus(s, clock.mono()), 'up');
  });
});
