import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CidrSet, clientPrefix, ipToWords, normaliseIp, parseCidr } from './ip-prefix.ts';

describe('ip-prefix', () => {
  it('normalises IPv4-mapped IPv6', () => {
    assert.equal(normaliseIp('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(normaliseIp('::1'), '::1');
    assert.equal(normaliseIp('2001:db8::1'), '2001:db8::1');
  });

  it('computes /24 and /64 prefixes', () => {
    assert.equal(clientPrefix('192.0.2.77'), '192.0.2.0/24');
    assert.equal(clientPrefix('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(clientPrefix('::1'), '0:0:0:0::/64');
  });

  it('parses IPv6 forms into the same words', () => {
    assert.deepEqual(ipToWords('2001:db8::1'), ipToWords('2001:0db8:0:0:0:0:0:1'));
    assert.deepEqual(ipToWords('::ffff:10.0.0.1'), ipToWords('10.0.0.1'));
    assert.equal(ipToWords('not-an-ip'), undefined);
  });

  const cases: [string, string, boolean][] = [
    ['10.0.0.0/8', '10.200.3.4', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['192.0.2.0/24', '192.0.2.255', true],
    ['192.0.2.0/25', '192.0.2.200', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['127.0.0.1', '127.0.0.1', true],
    ['127.0.0.1', '127.0.0.2', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['::1/128', '::1', true],
    ['2001:db8::/32', '10.0.0.1', false],
  ];
  for (const [block, ip, expected] of cases) {
    it(`${block} ${expected ? 'contains' : 'does not contain'} ${ip}`, () => {
      assert.equal(new CidrSet([block]).match(ip) !== undefined, expected);
    });
  }

  it('rejects bad blocks with a readable message', () => {
    assert.throws(() => parseCidr('10.0.0.0/33'), /prefix length must be 0..32/);
    assert.throws(() => parseCidr('nope/8'), /not an IP address/);
  });
});
