import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import type { Policy } from '../config/compile.ts';
import { createManualClock } from '../core/clock.ts';
import { clientPrefix, normaliseIp } from '../core/ip-prefix.ts';
import { createResponder, DECISION_HEADER } from '../pipeline/respond.ts';
import type { Deps, RequestCtx, Verdict } from '../pipeline/types.ts';
import { createMemoryStore } from '../state/memory-store.ts';
import { defaultDetectConfig } from './config.ts';
import { createDetector } from './detector.ts';
import { factsFromCtx } from './facts.ts';
import { createShapeStage } from './shape-stage.ts';

// End to end over loopback sockets: browsers (one header order, cookies, Referer) teach the detector the
// normal mix; then one program floods from 200 source addresses (127.77.x.y), each sending a handful of
// requests: under per-IP limits, but all one shape. Ticks are driven by hand so the test is deterministic.

const clock = createManualClock();
const detector = createDetector(
  defaultDetectConfig({ warmup_ticks: 15, min_rps: 20, shapes: { min_count: 20 } }),
  clock,
);
const sessions = new Set(['sid=known-before-the-attack']);
const stage = createShapeStage(detector, { isPriority: (c) => sessions.has(String(c.headers.cookie)) });
const responder = createResponder();
const deps: Deps = {
  clock,
  store: createMemoryStore({ maxEntries: 10_000 }),
  policy: {} as Policy,
  snapshot: detector.snapshot,
};
let server: Server;
let base: string;
let ids = 0;
const agents: Agent[] = [];
const browser = new Agent({ connections: 8 });
agents.push(browser);

before(async () => {
  server = createServer(async (req, res) => {
    const u = req.url!;
    const q = u.indexOf('?');
    const ip = normaliseIp(req.socket.remoteAddress!);
    const ctx: RequestCtx = {
      id: `e${++ids}`,
      startedAt: clock.now(),
      startedMono: clock.mono(),
      method: req.method!,
      path: q < 0 ? u : u.slice(0, q),
      query: q < 0 ? '' : u.slice(q + 1),
      headers: req.headers,
      httpVersion: '1.1',
      tls: false,
      peerIp: ip,
      client: { ip, prefix: clientPrefix(ip) },
      route: { name: u.startsWith('/recherche') ? 'recherche' : 'home', routeClass: 'bulk', upstream: 'o' },
      routeClass: 'bulk',
      trace: [],
    };
    const v: Verdict = await stage.run(ctx, deps);
    if (v.kind === 'pass') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    else responder.verdict(res, ctx, v);
    detector.observe(factsFromCtx(ctx, v.kind, res.statusCode, v.kind === 'pass' ? 5 : -1));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const BROWSER = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'fr-FR,fr;q=0.9',
  'accept-encoding': 'gzip, deflate, br',
};

async function browse(i: number, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { ...BROWSER, ...extra };
  if (i % 2 === 0) headers.referer = `${base}/`;
  if (i % 3 === 0 && headers.cookie === undefined) headers.cookie = `sid=s${i}`;
  const path = i % 2 === 0 ? `/recherche?q=colis${i % 5}` : '/';
  const r = await request(`${base}${path}`, { headers, dispatcher: browser });
  await r.body.dump();
  return { status: r.statusCode, decision: r.headers[DECISION_HEADER] };
}

async function second(fn: () => Promise<unknown>) {
  await fn();
  clock.advance(1000);
  deps.snapshot = detector.tick();
}

async function flood(sources: number, perSource: number) {
  const statuses: number[] = [];
  const rules: string[] = [];
  await Promise.all(
    Array.from({ length: sources }, async (_, s) => {
      const a = new Agent({ connect: { localAddress: `127.77.${s >> 8}.${(s & 255) + 1}` }, connections: 1 });
      agents.push(a);
      for (let k = 0; k < perSource; k++) {
        const r = await request(`${base}/recherche?q=${(s * 977 + k * 31).toString(36)}z${k}`, {
          // A forged session cookie: bots can send any cookie, only a verified one opens the priority lane.
          headers: { 'user-agent': `Mozilla/5.0 (bot ${s % 7})`, accept: 'application/json', cookie: `sid=f${s}` },
          dispatcher: a,
        });
        const body = await r.body.text();
        statuses.push(r.statusCode);
        const m = /"rule":"([^"]+)"/.exec(body);
        if (m) rules.push(m[1]);
      }
    }),
  );
  return { statuses, rules };
}

describe('shape defence end to end (loopback)', () => {
  it('learns the browsers, then challenges the flood shape and keeps browsers at 200', async () => {
    for (let t = 0; t < 20; t++) {
      await second(() => Promise.all(Array.from({ length: 40 }, (_, i) => browse(t * 40 + i))));
    }
    assert.equal(deps.snapshot.mode, 'normal');

    await second(() => Promise.all([flood(200, 4), Promise.all(Array.from({ length: 40 }, (_, i) => browse(i)))]));
    assert.equal(deps.snapshot.mode, 'under-attack', JSON.stringify(detector.explain().signals));
    const acted = [...detector.snapshot.shapes.values()];
    assert.equal(acted.length, 1, JSON.stringify(detector.explain().shapes.slice(0, 3)));

    // Now: the flood is answered by the gateway (no challenge renderer here: 429 naming the shape rule),
    // browsers still get 200, and a session known before the attack passes even with the bot's headers.
    const [bots, people] = await Promise.all([
      flood(100, 3),
      Promise.all(Array.from({ length: 40 }, (_, i) => browse(1000 + i))),
    ]);
    assert.ok(
      bots.statuses.every((s) => s === 429),
      `bot statuses ${[...new Set(bots.statuses)]}`,
    );
    assert.ok(bots.rules.length > 0 && bots.rules.every((r) => r === acted[0].rule), bots.rules[0]);
    assert.match(acted[0].rule, /^detect\/shape:[0-9a-f]{8}:under-attack$/);
    assert.ok(
      people.every((p) => p.status === 200),
      `browser statuses ${people.map((p) => p.status)}`,
    );
    const vip = await request(`${base}/recherche?q=abc123z0`, {
      headers: {
        'user-agent': 'Mozilla/5.0 (bot 1)',
        accept: 'application/json',
        cookie: 'sid=known-before-the-attack',
      },
      dispatcher: browser,
    });
    await vip.body.dump();
    assert.equal(vip.statusCode, 200);
  });
});
