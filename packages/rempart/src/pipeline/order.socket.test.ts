import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { compilePolicy } from '../config/compile.ts';
import { configSchema } from '../config/schema.ts';
import { systemClock } from '../core/clock.ts';
import { createMemoryStore } from '../state/memory-store.ts';
import { newCtx } from './context.ts';
import { CORE_ORDER } from './order.ts';
import { createResponder, DECISION_HEADER } from './respond.ts';
import { matchRoute } from './route/compile.ts';
import { runPipeline } from './run.ts';
import type { Deps, Verdict } from './types.ts';

// What a client sees: a real node:http server wired as the gateway wires the core stages
// (newCtx → matchRoute → runPipeline → responder), distinct client addresses bound on loopback.

const deps: Deps = {
  clock: systemClock,
  store: createMemoryStore({ maxEntries: 10_000 }),
  policy: compilePolicy(
    configSchema.parse({
      listeners: [{ name: 'public', port: 0 }],
      admin: { token: 'a-test-token-of-16+chars' },
      upstreams: [{ name: 'poste', url: 'http://127.0.0.1:9' }],
      routes: [{ name: 'search', match: { path_prefix: '/recherche' }, class: 'bulk' }],
      access: { deny: ['127.0.9.0/24'] },
      // A slow rate so a loaded machine cannot refill a bucket between two requests of a test.
      rate_limits: [
        { name: 'per-ip', key: ['ip'], rate: 0.01, burst: 1 },
        { name: 'search-prefix', key: ['prefix'], rate: 0.01, burst: 2, classes: ['bulk'] },
      ],
    }),
  ),
  snapshot: { mode: 'normal', pressure: 0, pinned: false, since: 0 },
};
const responder = createResponder();

let server: Server;
let port = 0;

before(async () => {
  server = createServer((req, res) => {
    const ctx = newCtx(req, { peerIp: req.socket.remoteAddress ?? '', tls: false }, deps.clock);
    matchRoute(ctx, deps.policy.routes);
    const answer = (v: Verdict) => {
      if (v.kind !== 'pass') return responder.verdict(res, ctx, v);
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`ok ${ctx.client?.ip}\n`);
    };
    const v = runPipeline(ctx, deps, CORE_ORDER);
    if (v instanceof Promise) v.then(answer);
    else answer(v);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await deps.store.close();
});

function get(from: string, path = '/', accept?: string) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
    (resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, localAddress: from, agent: false, headers: accept ? { accept } : {} },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    },
  );
}

describe('core stages over real sockets', () => {
  it('per-IP limit: 200, 200, then 429 with Retry-After and a bilingual body with the decision id', async () => {
    assert.equal((await get('127.0.1.1')).status, 200);
    assert.equal((await get('127.0.1.1')).status, 200);
    const r = await get('127.0.1.1');
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers['retry-after']) >= 1);
    const id = r.headers[DECISION_HEADER];
    assert.equal(typeof id, 'string');
    assert.match(r.body, /Trop de requêtes/);
    assert.match(r.body, /Too many requests/);
    assert.ok(r.body.includes(id as string));
    assert.equal((await get('127.0.1.2')).status, 200, 'another address is not limited');
  });

  it('JSON clients get the rule and retry delay', async () => {
    await get('127.0.1.3');
    await get('127.0.1.3');
    const r = await get('127.0.1.3', '/', 'application/json');
    assert.equal(r.status, 429);
    const body = JSON.parse(r.body);
    assert.equal(body.rule, 'ratelimit/per-ip');
    assert.ok(body.retry_after_s >= 1);
  });

  it('per-prefix limit on a bulk route spans addresses of one /24', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 4; i++) statuses.push((await get(`127.0.3.${i}`, `/recherche?q=${i}`)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.equal((await get('127.0.4.1', '/recherche?q=z')).status, 200);
  });

  it('denied block: 403 with the decision id', async () => {
    const r = await get('127.0.9.5');
    assert.equal(r.status, 403);
    assert.match(r.body, /Accès refusé/);
    assert.ok(r.headers[DECISION_HEADER]);
  });
});
