import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createManualClock } from '../../../rempart/src/core/clock.ts';
import { LoginThrottle, networkPrefix } from './login-throttle.ts';

test('network prefixes', () => {
  const cases: Array<[string, string]> = [
    ['203.0.113.7', '203.0.113.0/24'],
    ['::ffff:198.51.100.9', '198.51.100.0/24'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::/48'],
  ];
  for (const [ip, want] of cases) assert.equal(networkPrefix(ip), want, ip);
});

test('a /24 is throttled after maxFailures within the window, then released', () => {
  const clock = createManualClock();
  const t = new LoginThrottle({ maxFailures: 3, windowMs: 60_000, capacity: 100 });
  for (let i = 0; i < 3; i++) {
    assert.equal(t.check(`203.0.113.${i}`, clock.now()).allow, true, `attempt ${i}`);
    t.recordFailure(`203.0.113.${i}`, clock.now());
  }
  const blocked = t.check('203.0.113.200', clock.now());
  assert.equal(blocked.allow, false, 'same /24, other host');
  assert.equal(!blocked.allow && blocked.retryAfterS, 60);
  assert.equal(t.check('203.0.114.1', clock.now()).allow, true, 'neighbour /24 unaffected');
  clock.advance(60_000);
  assert.equal(t.check('203.0.113.5', clock.now()).allow, true, 'window over');
});

test('the table is bounded: oldest prefix evicted at capacity', () => {
  const clock = createManualClock();
  const t = new LoginThrottle({ maxFailures: 1, windowMs: 60_000, capacity: 2 });
  t.recordFailure('10.0.1.1', clock.now());
  t.recordFailure('10.0.2.1', clock.now());
  t.recordFailure('10.0.3.1', clock.now());
  assert.equal(t.size, 2);
  assert.equal(t.check('10.0.1.9', clock.now()).allow, true, 'evicted');
  assert.equal(t.check('10.0.3.9', clock.now()).allow, false, 'kept');
});
