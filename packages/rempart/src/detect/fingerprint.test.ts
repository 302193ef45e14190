import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { fingerprint } from './fingerprint.ts';

const chrome = (ua: string, lang: string, extra: Record<string, string> = {}) => ({
  host: 'poste.example',
  connection: 'keep-alive',
  'user-agent': ua,
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-encoding': 'gzip, deflate, br',
  'accept-language': lang,
  ...extra,
});

describe('fingerprint', () => {
  it('is the same for one program whatever its User-Agent, language values or host', () => {
    const a = fingerprint(chrome('Mozilla/5.0 A', 'fr-FR,fr;q=0.9'), '1.1');
    const b = fingerprint(chrome('Mozilla/5.0 totally different', 'en-GB,en;q=0.9', {}), '1.1');
    assert.equal(a, b);
    assert.match(a, /^[0-9a-f]{8}$/);
  });
  const base = fingerprint(chrome('x', 'fr-FR,fr;q=0.9'), '1.1');
  const cases: [string, string][] = [
    ['another header order', fingerprint({ 'user-agent': 'x', host: 'h', accept: chrome('', '').accept }, '1.1')],
    ['another Accept', fingerprint(chrome('x', 'fr-FR,fr;q=0.9', { accept: '*/*' }), '1.1')],
    ['another protocol version', fingerprint(chrome('x', 'fr-FR,fr;q=0.9'), '2.0')],
    ['one more header', fingerprint(chrome('x', 'fr-FR,fr;q=0.9', { dnt: '1' }), '1.1')],
    ['a language list of another shape', fingerprint(chrome('x', 'fr'), '1.1')],
  ];
  for (const [name, fp] of cases) it(`differs with ${name}`, () => assert.notEqual(fp, base));
});

test('over TLS the handshake print is part of the fingerprint; without one nothing changes', () => {
  const h = { host: 'x', accept: '*/*', 'user-agent': 'a' };
  assert.equal(fingerprint(h, '1.1', 0), fingerprint(h, '1.1'));
  assert.notEqual(fingerprint(h, '1.1', 0x1234), fingerprint(h, '1.1'));
  assert.notEqual(fingerprint(h, '1.1', 0x1234), fingerprint(h, '1.1', 0x4321));
  assert.equal(fingerprint(h, '1.1', 0x1234), fingerprint({ ...h, 'user-agent': 'b' }, '1.1', 0x1234));
});
