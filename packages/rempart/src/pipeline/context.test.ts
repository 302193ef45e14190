import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from '../core/clock.ts';
import { hostOf, newCtx } from './context.ts';

const clock = createManualClock(1_000);
const mk = (url: string, httpVersion = '1.1') =>
  newCtx({ method: 'GET', url, headers: {}, httpVersion }, { peerIp: '::ffff:192.0.2.1', tls: true }, clock);

describe('newCtx', () => {
  const cases: [string, string, string][] = [
    ['/a/b?x=1&y=2', '/a/b', 'x=1&y=2'],
    ['/a/b', '/a/b', ''],
    ['/?', '/', ''],
    ['/p?q?r', '/p', 'q?r'],
    ['http://h.test/p?q=1', '/p', 'q=1'],
    ['http://h.test', '/', ''],
    ['http://h.test?q=1', '/', 'q=1'],
    ['*', '*', ''],
  ];
  for (const [url, path, query] of cases) {
    it(`splits ${url}`, () => {
      const c = mk(url);
      assert.equal(c.path, path);
      assert.equal(c.query, query);
    });
  }
  it('fills identity fields', () => {
    const c = mk('/', '2.0');
    assert.equal(c.peerIp, '192.0.2.1');
    assert.equal(c.httpVersion, '2.0');
    assert.equal(c.startedAt, 1_000);
    assert.equal(c.tls, true);
    assert.deepEqual(c.trace, []);
    assert.notEqual(mk('/').id, mk('/').id);
  });
});

describe('hostOf', () => {
  const cases: [Record<string, string>, string][] = [
    [{ host: 'Poste.Test:8443' }, 'poste.test'],
    [{ host: 'poste.test' }, 'poste.test'],
    [{ ':authority': 'poste.test:443' }, 'poste.test'],
    [{ host: '[2001:db8::1]:443' }, '[2001:db8::1]'],
    [{}, ''],
  ];
  for (const [h, want] of cases) it(JSON.stringify(h), () => assert.equal(hostOf(h), want));
});
