import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cacheBustRequest, createRng, ddosiaRequest, loginStuffingRequest } from './request-shapes.ts';

describe('attack request shapes', () => {
  test('ddosia: ~30 % POST, random 6–12 char tokens, rotating user agents, all marked as attack', () => {
    const rng = createRng(42);
    let posts = 0;
    const uas = new Set<string>();
    const paths = new Set<string>();
    const n = 5000;
    for (let i = 0; i < n; i++) {
      const r = ddosiaRequest(rng);
      if (r.method === 'POST') posts++;
      uas.add(r.headers['user-agent']);
      paths.add(r.path);
      assert.equal(r.headers['x-lab-attack'], '1');
    }
    assert.ok(posts / n > 0.25 && posts / n < 0.35, `POST share ${posts / n}`);
    assert.ok(uas.size >= 5);
    assert.ok(paths.size > n * 0.99, 'paths are (almost) all distinct: caches cannot help');
    const q = /q=([a-z0-9]+)/.exec(ddosiaRequest(createRng(7)).path + ddosiaRequest(createRng(8)).path);
    if (q) assert.ok(q[1].length >= 6 && q[1].length <= 12);
  });

  test('cache-bust adds a random parameter to cacheable pages; login stuffing posts JSON credentials', () => {
    const rng = createRng(1);
    const a = cacheBustRequest(rng);
    const b = cacheBustRequest(rng);
    assert.notEqual(a.path, b.path);
    assert.match(a.path, /[?&][a-z0-9]{6,12}=[a-z0-9]{6,12}$/);
    const l = loginStuffingRequest(rng);
    assert.equal(l.method, 'POST');
    assert.ok(JSON.parse(l.body ?? '').password.length >= 8);
  });

  test('the PRNG is deterministic per seed', () => {
    assert.deepEqual(ddosiaRequest(createRng(3)), ddosiaRequest(createRng(3)));
  });
});
