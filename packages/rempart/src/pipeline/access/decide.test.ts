import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileAccess, decideAccess } from './decide.ts';

const p = compileAccess(
  ['10.1.2.3', '192.0.2.0/24', '2001:db8:aaaa::/48'],
  ['10.0.0.0/8', '192.0.2.128/25', '2001:db8::/32', '203.0.113.0/24'],
);

const cases: [name: string, ip: string, expect: 'allow' | 'deny' | 'neutral'][] = [
  ['unlisted IPv4 passes, not allow-listed', '198.51.100.1', 'neutral'],
  ['denied IPv4 block', '203.0.113.77', 'deny'],
  ['denied wide block', '10.200.0.1', 'deny'],
  ['a more specific allow inside a deny wins', '10.1.2.3', 'allow'],
  ['allow-listed block', '192.0.2.5', 'allow'],
  ['a more specific deny inside an allow wins', '192.0.2.200', 'deny'],
  ['denied IPv6 block', '2001:db8:1::1', 'deny'],
  ['allowed IPv6 /48 inside a denied /32', '2001:db8:aaaa::9', 'allow'],
  ['unlisted IPv6', '2001:db9::1', 'neutral'],
  ['not an address: neutral', 'garbage', 'neutral'],
];

describe('access decide', () => {
  for (const [name, ip, expect] of cases) {
    it(name, () => {
      const d = decideAccess(ip, p);
      const got = d.verdict.kind === 'block' ? 'deny' : d.allowListed ? 'allow' : 'neutral';
      assert.equal(got, expect);
      if (got === 'deny') assert.deepEqual(d.verdict, { kind: 'block', rule: 'access/deny-cidr', status: 403 });
    });
  }

  it('equal specificity: deny wins', () => {
    assert.equal(decideAccess('192.0.2.1', compileAccess(['192.0.2.0/24'], ['192.0.2.0/24'])).verdict.kind, 'block');
  });

  it('empty lists: neutral without parsing', () => {
    assert.equal(decideAccess('192.0.2.1', compileAccess([], [])).allowListed, false);
  });
});
