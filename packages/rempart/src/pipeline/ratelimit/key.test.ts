import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from '../../core/clock.ts';
import { newCtx } from '../context.ts';
import { compileKey, cookieValue, queryParam } from './key.ts';

const clock = createManualClock();
const ctx = newCtx(
  {
    method: 'POST',
    url: '/connexion?next=%2Fcompte&q=a+b&empty=&flag',
    headers: { host: 'poste.test', 'x-api-key': 'K1', cookie: 'sid=abc; lang=fr;theme=dark', accept: '*/*' },
    httpVersion: '1.1',
  },
  { peerIp: '192.0.2.7', tls: false },
  clock,
);
ctx.client = { ip: '192.0.2.7', prefix: '192.0.2.0/24' };
ctx.form = { username: 'alice' };

describe('rate-limit keys', () => {
  const cases: [string, Parameters<typeof compileKey>[1], string | undefined][] = [
    ['ip', ['ip'], 'k:192.0.2.7'],
    ['prefix', ['prefix'], 'k:192.0.2.0/24'],
    ['route without a matched route', ['route'], 'k:-'],
    ['method + path', ['method', 'path'], 'k:POST\x1f/connexion'],
    ['header (case-insensitive name)', ['header:X-Api-Key'], 'k:K1'],
    ['cookie', ['cookie:lang'], 'k:fr'],
    ['cookie without a space after ;', ['cookie:theme'], 'k:dark'],
    ['query decoded', ['query:next'], 'k:/compte'],
    ['query plus as space', ['query:q'], 'k:a b'],
    ['form field', ['form:username'], 'k:alice'],
    ['prefix + form field', ['prefix', 'form:username'], 'k:192.0.2.0/24\x1falice'],
    ['absent header: rule does not apply', ['header:x-missing'], undefined],
    ['absent cookie', ['cookie:nope'], undefined],
    ['absent form field', ['ip', 'form:password'], undefined],
  ];
  for (const [name, parts, want] of cases) {
    it(name, () => assert.equal(compileKey('k:', parts)(ctx), want));
  }

  it('fingerprint: same header shape → same key, different shape → different key', () => {
    const k = compileKey('k:', ['fingerprint']);
    const other = newCtx(
      { method: 'GET', url: '/', headers: { 'user-agent': 'x' }, httpVersion: '1.1' },
      { peerIp: '192.0.2.8', tls: false },
      clock,
    );
    const same = newCtx(
      {
        method: 'GET',
        url: '/x',
        headers: { host: 'other.test', 'x-api-key': 'K2', cookie: 'a=b', accept: '*/*' },
        httpVersion: '1.1',
      },
      { peerIp: '192.0.2.9', tls: false },
      clock,
    );
    assert.match(k(ctx) ?? '', /^k:[0-9a-f]{8}$/);
    assert.equal(k(ctx), k(same));
    assert.notEqual(k(ctx), k(other));
  });

  it('long values are replaced by a bounded hash', () => {
    const long = newCtx(
      { method: 'GET', url: '/', headers: { 'x-api-key': 'z'.repeat(10_000) }, httpVersion: '1.1' },
      { peerIp: '192.0.2.8', tls: false },
      clock,
    );
    const k = compileKey('k:', ['header:x-api-key'])(long) ?? '';
    assert.ok(k.length < 40, k);
  });
});

describe('query and cookie readers', () => {
  it('query edge cases', () => {
    assert.equal(queryParam('a=1&b=2', 'b'), '2');
    assert.equal(queryParam('ab=1&a=2', 'a'), '2');
    assert.equal(queryParam('flag&x=1', 'flag'), '');
    assert.equal(queryParam('', 'a'), undefined);
    assert.equal(queryParam('a=%E0%A4%A', 'a'), '%E0%A4%A', 'bad escapes kept raw');
  });
  it('cookie edge cases', () => {
    assert.equal(cookieValue('xsid=1; sid=2', 'sid'), '2');
    assert.equal(cookieValue(undefined, 'sid'), undefined);
  });
});
