import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { buildRequestHeaders, forwardedNode } from './request-headers.ts';
import { buildResponseHeaders, buildTrailers } from './response-headers.ts';

type Ctx = Parameters<typeof buildRequestHeaders>[1];
const ctx: Ctx = {
  id: 'dec123',
  peerIp: '10.1.1.1',
  client: { ip: '203.0.113.9', prefix: '' },
  tls: true,
  httpVersion: '1.1',
};

function asMap(flat: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (let i = 0; i < flat.length; i += 2) m.set(flat[i], [...(m.get(flat[i]) ?? []), flat[i + 1]]);
  return m;
}

describe('request headers', () => {
  it('drops hop-by-hop headers and the ones Connection names', () => {
    const src: IncomingHttpHeaders = {
      host: 'shop.example',
      connection: 'keep-alive, X-Secret-Hop',
      'x-secret-hop': '1',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      trailer: 'x-sum',
      'transfer-encoding': 'chunked',
      upgrade: 'websocket',
      'proxy-authorization': 'Basic abc',
      'proxy-connection': 'keep-alive',
      expect: '100-continue',
      accept: 'text/html',
      'set-cookie': ['a=1', 'b=2'],
    };
    const m = asMap(buildRequestHeaders(src, ctx, { peerTrusted: false }));
    for (const gone of [
      'connection',
      'x-secret-hop',
      'keep-alive',
      'te',
      'trailer',
      'transfer-encoding',
      'upgrade',
      'proxy-authorization',
      'proxy-connection',
      'expect',
    ]) {
      assert.equal(m.has(gone), false, gone);
    }
    assert.deepEqual(m.get('accept'), ['text/html']);
    assert.deepEqual(m.get('host'), ['shop.example']);
    assert.deepEqual(m.get('set-cookie'), ['a=1', 'b=2']);
  });

  it('drops the allow-token headers (strip), keeps the rest', () => {
    const src: IncomingHttpHeaders = { 'x-rempart-partner': 'secret-0123456789abcdef', accept: '*/*' };
    const m = asMap(buildRequestHeaders(src, ctx, { peerTrusted: true, strip: new Set(['x-rempart-partner']) }));
    assert.equal(m.has('x-rempart-partner'), false);
    assert.deepEqual(m.get('accept'), ['*/*']);
    assert.equal(asMap(buildRequestHeaders(src, ctx, { peerTrusted: false })).has('x-rempart-partner'), true);
  });

  it('maps h2 pseudo-headers: :authority becomes host, the rest are dropped', () => {
    const src = {
      ':method': 'GET',
      ':path': '/x',
      ':scheme': 'https',
      ':authority': 'shop.example:8443',
      accept: '*/*',
    };
    const m = asMap(
      buildRequestHeaders(src as IncomingHttpHeaders, { ...ctx, httpVersion: '2.0' }, { peerTrusted: false }),
    );
    assert.deepEqual(m.get('host'), ['shop.example:8443']);
    assert.equal(
      [...m.keys()].some((k) => k.startsWith(':')),
      false,
    );
    assert.deepEqual(m.get('via'), ['2 rempart']);
    assert.deepEqual(m.get('forwarded'), ['for=203.0.113.9;proto=https;host="shop.example:8443"']);
  });

  const forged: IncomingHttpHeaders = {
    host: 'h',
    'x-forwarded-for': '6.6.6.6',
    'x-forwarded-proto': 'gopher',
    forwarded: 'for=6.6.6.6',
    'x-request-id': 'forged-id',
    via: '1.1 edge',
  };

  it('replaces forwarding headers from an untrusted peer', () => {
    const m = asMap(buildRequestHeaders(forged, ctx, { peerTrusted: false }));
    assert.deepEqual(m.get('x-forwarded-for'), ['203.0.113.9']);
    assert.deepEqual(m.get('x-forwarded-proto'), ['https']);
    assert.deepEqual(m.get('forwarded'), ['for=203.0.113.9;proto=https;host="h"']);
    assert.deepEqual(m.get('x-request-id'), ['dec123']);
    // Via is a record of hops, not a trust claim: always appended.
    assert.deepEqual(m.get('via'), ['1.1 edge, 1.1 rempart']);
  });

  it('extends the chain of a trusted proxy', () => {
    const m = asMap(buildRequestHeaders(forged, ctx, { peerTrusted: true }));
    assert.deepEqual(m.get('x-forwarded-for'), ['6.6.6.6, 10.1.1.1']);
    assert.deepEqual(m.get('x-forwarded-proto'), ['gopher']);
    assert.deepEqual(m.get('forwarded'), ['for=6.6.6.6, for=10.1.1.1;proto=https;host="h"']);
    assert.deepEqual(m.get('x-request-id'), ['forged-id']);
  });

  it('refuses an over-long request id even from a trusted proxy', () => {
    const m = asMap(buildRequestHeaders({ 'x-request-id': 'x'.repeat(500) }, ctx, { peerTrusted: true }));
    assert.deepEqual(m.get('x-request-id'), ['dec123']);
  });

  it('quotes IPv6 nodes in Forwarded', () => {
    assert.equal(forwardedNode('2001:db8::1'), '"[2001:db8::1]"');
    assert.equal(forwardedNode('192.0.2.1'), '192.0.2.1');
  });
});

describe('response headers', () => {
  it('drops hop-by-hop headers of the origin connection, keeps the rest', () => {
    const out = buildResponseHeaders({
      connection: 'close, x-hop',
      'x-hop': '1',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'content-type': 'text/plain',
      'set-cookie': ['a=1', 'b=2'],
    });
    assert.deepEqual(out, { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
  });

  it('forwards trailers minus hop-by-hop names', () => {
    assert.deepEqual(buildTrailers({ 'x-checksum': 'abc', connection: 'close' }), { 'x-checksum': 'abc' });
    assert.equal(buildTrailers({}), undefined);
    assert.equal(buildTrailers(null), undefined);
  });
});
