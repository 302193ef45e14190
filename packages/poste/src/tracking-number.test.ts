import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDigit, checkTrackingNumber, makeTrackingNumber } from './tracking-number.ts';

test('S10 check digit, computed by hand', () => {
  // 4·8+7·6+3·4+1·2+2·3+4·5+8·9+2·7 = 200; 200 mod 11 = 2; 11 − 2 = 9
  assert.equal(checkDigit('47312482'), 9);
  // the two special cases: 11 − 1 = 10 → 0 (1·9 + 2·7 = 23 ≡ 1), and 11 − 0 = 11 → 5
  assert.equal(checkDigit('00000012'), 0);
  assert.equal(checkDigit('00000000'), 5);
});

test('tracking number validation', () => {
  const good = makeTrackingNumber('LA', 12345678);
  const cases: Array<[string, string, string]> = [
    ['well formed', good, 'ok'],
    ['lower case accepted', good.toLowerCase(), 'ok'],
    ['wrong check digit', `${good.slice(0, 10)}${(Number(good[10]) + 1) % 10}FR`, 'check-digit'],
    ['too short', good.slice(1), 'shape'],
    ['digit in service letters', `L1${good.slice(2)}`, 'shape'],
    ['letter in serial', `LA1234X678${good.slice(10)}`, 'shape'],
    ['injection attempt', "LA1' OR 1=1FR", 'shape'],
    ['empty', '', 'shape'],
  ];
  for (const [name, input, want] of cases) {
    const r = checkTrackingNumber(input);
    assert.equal(r.ok ? 'ok' : r.reason, want, name);
  }
});
