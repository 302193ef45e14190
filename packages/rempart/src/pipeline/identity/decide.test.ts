import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CidrSet } from '../../core/ip-prefix.ts';
import { decideIdentity, type ForwardedHeader } from './decide.ts';

const trusted = new CidrSet(['10.0.0.0/8', '2001:db8:ffff::/48']);
const none = new CidrSet([]);

interface Case {
  name: string;
  peer: string;
  fwd?: string | string[];
  header?: ForwardedHeader;
  set?: CidrSet;
  ip: string;
  prefix: string;
}

const cases: Case[] = [
  {
    name: 'no trusted proxies: the peer, XFF ignored',
    peer: '192.0.2.7',
    fwd: '203.0.113.9',
    set: none,
    ip: '192.0.2.7',
    prefix: '192.0.2.0/24',
  },
  {
    name: 'spoofed XFF from an untrusted peer is ignored',
    peer: '192.0.2.7',
    fwd: '1.2.3.4',
    ip: '192.0.2.7',
    prefix: '192.0.2.0/24',
  },
  {
    name: 'trusted peer: rightmost untrusted hop',
    peer: '10.0.0.1',
    fwd: '1.2.3.4, 198.51.100.20',
    ip: '198.51.100.20',
    prefix: '198.51.100.0/24',
  },
  {
    name: 'trusted hops are skipped from the right',
    peer: '10.0.0.1',
    fwd: '1.2.3.4, 198.51.100.20, 10.9.9.9',
    ip: '198.51.100.20',
    prefix: '198.51.100.0/24',
  },
  {
    name: 'several XFF header lines are one list',
    peer: '10.0.0.1',
    fwd: ['198.51.100.20', '10.1.1.1'],
    ip: '198.51.100.20',
    prefix: '198.51.100.0/24',
  },
  {
    name: 'all hops trusted: the leftmost',
    peer: '10.0.0.1',
    fwd: '10.2.2.2, 10.3.3.3',
    ip: '10.2.2.2',
    prefix: '10.2.2.0/24',
  },
  {
    name: 'garbage written by a trusted hop stops the walk at that hop',
    peer: '10.0.0.1',
    fwd: '198.51.100.20, nonsense',
    ip: '10.0.0.1',
    prefix: '10.0.0.0/24',
  },
  { name: 'trusted peer without the header: the peer', peer: '10.0.0.1', ip: '10.0.0.1', prefix: '10.0.0.0/24' },
  { name: 'IPv4-mapped peer is normalised', peer: '::ffff:192.0.2.7', ip: '192.0.2.7', prefix: '192.0.2.0/24' },
  {
    name: 'IPv6 client gets its /64',
    peer: '2001:db8:ffff::1',
    fwd: '2001:db8:1:2:3:4:5:6',
    ip: '2001:db8:1:2:3:4:5:6',
    prefix: '2001:db8:1:2::/64',
  },
  {
    name: 'IPv4 with port in XFF',
    peer: '10.0.0.1',
    fwd: '198.51.100.20:5555',
    ip: '198.51.100.20',
    prefix: '198.51.100.0/24',
  },
  {
    name: 'Forwarded: for= with quoted IPv6 and port',
    peer: '10.0.0.1',
    header: 'forwarded',
    fwd: 'for=192.0.2.1;proto=https, for="[2001:db8:cafe::17]:4711"',
    ip: '2001:db8:cafe::17',
    prefix: '2001:db8:cafe:0::/64',
  },
  {
    name: 'Forwarded from an untrusted peer is ignored',
    peer: '192.0.2.50',
    header: 'forwarded',
    fwd: 'for=1.2.3.4',
    ip: '192.0.2.50',
    prefix: '192.0.2.0/24',
  },
  {
    name: 'Forwarded: element without for= stops the walk',
    peer: '10.0.0.1',
    header: 'forwarded',
    fwd: 'for=198.51.100.1, proto=http',
    ip: '10.0.0.1',
    prefix: '10.0.0.0/24',
  },
];

describe('identity decide', () => {
  for (const c of cases) {
    it(c.name, () => {
      const got = decideIdentity(
        { peerIp: c.peer, forwarded: c.fwd },
        { trusted: c.set ?? trusted, header: c.header ?? 'x-forwarded-for' },
      );
      assert.deepEqual(got, { ip: c.ip, prefix: c.prefix });
    });
  }
});
