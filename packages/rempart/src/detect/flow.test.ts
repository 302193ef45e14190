import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormFlow } from './flow.ts';

describe('FormFlow', () => {
  it('a POST after a GET of the same form by the same client is not an orphan', () => {
    const f = new FormFlow(16, 60_000);
    assert.equal(f.observe('10.0.0.1', '/compte/connexion', 'GET', 1_000), false);
    assert.equal(f.observe('10.0.0.1', '/compte/connexion', 'POST', 2_000), false);
    assert.equal(f.observe('10.0.0.2', '/compte/connexion', 'POST', 2_000), true, 'other client');
    assert.equal(f.observe('10.0.0.1', '/colis/envoi', 'POST', 2_000), true, 'other form');
    assert.deepEqual(f.takeOrphanShare(), { posts: 3, share: 2 / 3 });
    assert.deepEqual(f.takeOrphanShare(), { posts: 0, share: 0 });
  });
  it('remembers for one to two windows, then forgets', () => {
    const f = new FormFlow(16, 60_000);
    f.observe('10.0.0.1', '/f', 'GET', 0);
    assert.equal(f.observe('10.0.0.1', '/f', 'POST', 90_000), false, 'previous window');
    assert.equal(f.observe('10.0.0.1', '/f', 'POST', 160_000), true, 'two rotations later');
    assert.equal(f.bytes, 2 * 8192);
  });
});
