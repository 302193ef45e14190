import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onlyCookies, readCookie } from './cookie.ts';

test('readCookie finds a name at the start or after "; ", never inside another name', () => {
  assert.equal(readCookie('a=1; __rempart=tok; b=2', '__rempart='), 'tok');
  assert.equal(readCookie('x__rempart=no', '__rempart='), undefined);
  assert.equal(readCookie(['a=1', '__rempart=v'], '__rempart='), 'v');
  assert.equal(readCookie(undefined, '__rempart='), undefined);
});

test('onlyCookies: true when every cookie is one of the given names', () => {
  const keys = ['__rempart=', '__rempart_pass='];
  const cases: [string | string[] | undefined, boolean][] = [
    [undefined, true],
    ['__rempart_pass=abc', true],
    ['__rempart=a; __rempart_pass=b', true],
    ['__rempart=a;__rempart_pass=b;', true],
    [['__rempart=a', '__rempart_pass=b'], true],
    ['__rempart_pass=abc; session=42', false],
    ['theme=dark', false],
    ['x__rempart=a', false],
    ['__rempartx=a', false],
  ];
  for (const [h, want] of cases) assert.equal(onlyCookies(h, keys), want, String(h));
});
