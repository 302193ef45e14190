import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { test } from 'node:test';
import type { RequestCtx } from '../pipeline/types.ts';
import { emptyFacts, factsFromCtx, fillFacts, requestShape } from './facts.ts';
import { fingerprint } from './fingerprint.ts';
import { pathTemplate } from './path-template.ts';
import { shapeKey } from './shape.ts';

const ua = { 'user-agent': 'x', accept: 'text/html' };
function ctx(path: string, query: string, headers: IncomingHttpHeaders, method = 'GET', route = 'search'): RequestCtx {
  return {
    id: '1',
    startedAt: 0,
    startedMono: 0,
    method,
    path,
    query,
    headers,
    httpVersion: '1.1',
    tls: false,
    peerIp: '192.0.2.1',
    route: { name: route, routeClass: 'bulk', upstream: 'o' },
    trace: [],
  };
}

/** What requestShape must give, computed from scratch. */
function expected(c: RequestCtx) {
  const fp = fingerprint(c.headers, c.httpVersion, c.tlsPrint);
  const template = pathTemplate(c.path, c.query);
  const key = shapeKey(c.route?.name ?? '-', c.method, template, fp, !!c.headers.cookie, !!c.headers.referer);
  return { fingerprint: fp, template, shapeKey: key };
}

test('requestShape: the same answer as from scratch, whether consecutive requests share a shape or not', () => {
  const variants = [
    ctx('/recherche', 'q=abc123', ua),
    ctx('/recherche', 'q=zz9x8y', ua),
    ctx('/recherche', 'q=abc123', { ...ua, cookie: 'a=b' }),
    ctx('/recherche', 'q=abc123', { ...ua, referer: 'https://x/' }),
    ctx('/recherche', 'q=abc123', ua, 'POST'),
    ctx('/recherche', 'q=abc123', ua, 'GET', 'other'),
    ctx('/recherche', 'q=abc123', { accept: 'application/json' }),
    ctx('/suivi/8Z7Y6X5W4V', '', ua),
  ];
  const keys = new Set<string>();
  for (let round = 0; round < 3; round++)
    for (const v of [...variants, ...variants.toReversed()]) {
      const c = { ...v, detect: undefined };
      assert.deepEqual({ ...requestShape(c) }, expected(c));
      assert.equal(requestShape(c), c.detect, 'computed once per request');
      keys.add(requestShape(c).shapeKey);
    }
  assert.equal(keys.size, 7, 'only the two random queries share a shape');
});

test('fillFacts writes the same facts as factsFromCtx into a reused object', () => {
  const scratch = emptyFacts();
  for (const c of [ctx('/a', 'q=1', ua), ctx('/b', '', { ...ua, cookie: 'x' }, 'POST')]) {
    c.client = { ip: '203.0.113.9', prefix: '203.0.113.0/24' };
    assert.equal(fillFacts(scratch, c, 'limit', 429, -1), scratch);
    assert.deepEqual(scratch, factsFromCtx(c, 'limit', 429, -1));
  }
});
