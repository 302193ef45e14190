import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheConfigProblems, cacheSchema } from './config.ts';

describe('cache config', () => {
  it('fills defaults and finds policies for unknown or repeated routes', () => {
    const c = cacheSchema.parse({ routes: [{ route: 'suivi' }, { route: 'nope' }, { route: 'suivi', ttl_s: 5 }] });
    assert.equal(c.routes[0].ttl_s, 2);
    assert.deepEqual(c.routes[0].query_allow, []);
    assert.deepEqual(cacheConfigProblems(c, ['suivi', 'home']), [
      { path: ['cache', 'routes', 1, 'route'], message: 'no route named "nope"' },
      { path: ['cache', 'routes', 2, 'route'], message: '"suivi" has two cache policies' },
    ]);
  });
  it('refuses unknown keys', () => {
    assert.throws(() => cacheSchema.parse({ routes: [{ route: 'x', tll_s: 3 }] }));
  });
});
