import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { compileAccess, compileTokens, decideRequestAccess, decideToken } from './decide.ts';

// Credential allow-listing, pure: partner/monitoring tokens (digests, timing-safe) and verified client
// certificates, combined with the CIDR lists.

const MONITORING = 'monitoring-token-0123456789';
const PARTNER = 'partner-token-abcdefghijklmnop';
const OTHER = 'other-header-token-zyxwvutsrq';

const tokens = [
  { name: 'monitoring', header: 'X-Rempart-Partner', token: MONITORING },
  { name: 'partner-a', header: 'x-rempart-partner', token: PARTNER },
  { name: 'probe', header: 'x-probe-key', token: OTHER },
];
const table = compileTokens(tokens);

describe('compileTokens', () => {
  it('groups by lowercased header and keeps only SHA-256 digests', () => {
    assert.deepEqual(table.headers, ['x-rempart-partner', 'x-probe-key']);
    assert.deepEqual(
      table.byHeader.get('x-rempart-partner')?.map((e) => e.rule),
      ['access/allow-token:monitoring', 'access/allow-token:partner-a'],
    );
    const expect = crypto.createHash('sha256').update(MONITORING).digest();
    assert.deepEqual(table.byHeader.get('x-rempart-partner')?.[0].digest, expect);
    const dump = JSON.stringify([...table.byHeader.values()].flat().map((e) => [e.rule, e.digest.toString('latin1')]));
    for (const secret of [MONITORING, PARTNER, OTHER]) assert.ok(!dump.includes(secret), 'no token kept in clear');
  });
});

describe('decideToken', () => {
  it('the right token gives its own name, on whichever header it is configured', () => {
    assert.equal(decideToken({ 'x-rempart-partner': MONITORING }, table), 'access/allow-token:monitoring');
    assert.equal(decideToken({ 'x-rempart-partner': PARTNER }, table), 'access/allow-token:partner-a');
    assert.equal(decideToken({ 'x-probe-key': OTHER }, table), 'access/allow-token:probe');
    assert.equal(
      decideToken({ 'x-rempart-partner': 'wrong-token-0123456789abc', 'x-probe-key': OTHER }, table),
      'access/allow-token:probe',
      'a wrong value on one header does not hide a right one on another',
    );
  });

  it('wrong, truncated, extended, other-header and repeated values give nothing', () => {
    const no = (headers: Record<string, string | string[]>) => assert.equal(decideToken(headers, table), undefined);
    no({});
    no({ 'x-rempart-partner': '' });
    no({ 'x-rempart-partner': 'wrong-token-0123456789abc' });
    no({ 'x-rempart-partner': MONITORING.slice(0, -1) });
    no({ 'x-rempart-partner': `${MONITORING}x` });
    no({ 'x-rempart-partner': MONITORING.toUpperCase() });
    no({ 'x-probe-key': MONITORING });
    no({ 'x-other': MONITORING });
    no({ 'x-rempart-partner': [MONITORING, MONITORING] });
    no({ 'x-rempart-partner': `${MONITORING}, ${MONITORING}` });
  });

  it('hashes only headers that are present; compares every token of the header with timingSafeEqual', (t) => {
    const hash = t.mock.method(crypto, 'createHash');
    const equal = t.mock.method(crypto, 'timingSafeEqual');
    decideToken({ accept: '*/*', authorization: 'Bearer x' }, table);
    assert.equal(hash.mock.callCount(), 0, 'no token header: nothing hashed');
    assert.equal(equal.mock.callCount(), 0);

    decideToken({ 'x-rempart-partner': MONITORING }, table);
    assert.equal(hash.mock.callCount(), 1, 'one present header, one digest');
    assert.equal(equal.mock.callCount(), 2, 'the first token matched, the second is still compared');
    for (const c of equal.mock.calls)
      assert.deepEqual([c.arguments[0].byteLength, c.arguments[1].byteLength], [32, 32], 'digests, not values');

    decideToken({ 'x-rempart-partner': 'nope-nope-nope-nope-nope', 'x-probe-key': 'nope-nope-nope-nope' }, table);
    assert.equal(hash.mock.callCount(), 3);
    assert.equal(equal.mock.callCount(), 5, 'every token of both headers compared');
  });

  it('a value of any length is compared, never thrown on', () => {
    for (const v of ['a', 'x'.repeat(16), 'y'.repeat(8192), 'é€\u0000'])
      assert.equal(decideToken({ 'x-rempart-partner': v }, table), undefined);
  });

  it('empty list: nothing looked at', (t) => {
    const hash = t.mock.method(crypto, 'createHash');
    assert.equal(decideToken({ 'x-rempart-partner': MONITORING }, compileTokens([])), undefined);
    assert.equal(hash.mock.callCount(), 0);
  });
});

describe('decideRequestAccess: CIDR, client certificate, token', () => {
  const p = compileAccess(['192.0.2.0/24'], ['203.0.113.0/24'], { tokens, mtlsListeners: ['partners'] });
  const cert = { listener: 'partners', cn: 'probe-1' };
  const rule = (f: Parameters<typeof decideRequestAccess>[0]) => {
    const d = decideRequestAccess(f, p);
    return d.verdict.kind === 'block' ? `block ${d.verdict.rule}` : d.allowListed ? `${d.rule}` : 'neutral';
  };

  it('each way of allow-listing names itself', () => {
    assert.equal(rule({ ip: '192.0.2.9', headers: {} }), 'access/allow-cidr');
    assert.equal(
      rule({ ip: '198.51.100.1', headers: { 'x-rempart-partner': PARTNER } }),
      'access/allow-token:partner-a',
    );
    assert.equal(rule({ ip: '198.51.100.1', headers: {}, clientCert: cert }), 'access/allow-mtls:partners');
    assert.equal(
      decideRequestAccess({ ip: '198.51.100.1', headers: {}, clientCert: cert }, p).detail,
      'cn=probe-1',
      'the certificate subject is in the detail, not in the rule (metric label)',
    );
    assert.equal(
      decideRequestAccess({ ip: '198.51.100.1', headers: {}, clientCert: { ...cert, cn: '' } }, p).detail,
      undefined,
    );
  });

  it('neither: neutral; a certificate on a listener that does not allow-list them gives nothing', () => {
    assert.equal(rule({ ip: '198.51.100.1', headers: { 'x-rempart-partner': 'wrong-token-0123456789' } }), 'neutral');
    assert.equal(rule({ ip: '198.51.100.1', headers: {}, clientCert: { listener: 'public', cn: 'x' } }), 'neutral');
  });

  it('a deny block refuses whatever credential comes with it', () => {
    assert.equal(
      rule({ ip: '203.0.113.5', headers: { 'x-rempart-partner': MONITORING }, clientCert: cert }),
      'block access/deny-cidr',
    );
  });

  it('a certificate wins over a token (no hashing needed); CIDR allow wins over both', (t) => {
    const hash = t.mock.method(crypto, 'createHash');
    assert.equal(
      rule({ ip: '198.51.100.1', headers: { 'x-rempart-partner': MONITORING }, clientCert: cert }),
      'access/allow-mtls:partners',
    );
    assert.equal(
      rule({ ip: '192.0.2.1', headers: { 'x-rempart-partner': MONITORING }, clientCert: cert }),
      'access/allow-cidr',
    );
    assert.equal(hash.mock.callCount(), 0);
  });

  it('empty lists: neutral, nothing parsed or hashed', (t) => {
    const hash = t.mock.method(crypto, 'createHash');
    const empty = compileAccess([], []);
    const d = decideRequestAccess(
      { ip: 'garbage', headers: { 'x-rempart-partner': MONITORING }, clientCert: cert },
      empty,
    );
    assert.deepEqual([d.verdict.kind, d.allowListed], ['pass', false]);
    assert.equal(hash.mock.callCount(), 0);
    assert.equal(empty.stripHeaders.size, 0);
  });

  it('the token headers are the ones to strip', () => {
    assert.deepEqual([...p.stripHeaders], ['x-rempart-partner', 'x-probe-key']);
  });
});
