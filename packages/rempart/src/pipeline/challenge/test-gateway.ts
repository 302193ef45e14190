import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, systemClock } from '../../core/clock.ts';
import { newDecisionId } from '../../core/decision-id.ts';
import { clientPrefix, normaliseIp } from '../../core/ip-prefix.ts';
import { createResponder } from '../respond.ts';
import type { Deps, DetectSnapshot, Mode, RequestCtx, RouteClass } from '../types.ts';
import type { ChallengeConfig } from './config.ts';
import { type ChallengeModule, createChallenge } from './stage.ts';

// Test fixture until the lead's gateway lands: the challenge stage, renderer and endpoint in front of a real
// node:http origin that counts what reaches it and echoes form bodies. Not used by the product.

export interface TestGateway {
  readonly url: string;
  readonly origin: { hits: number; paths: string[] };
  readonly challenge: ChallengeModule;
  setMode(m: Mode): void;
  close(): Promise<void>;
}

const listen = (s: Server) =>
  new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));

function originHandler(stats: { hits: number; paths: string[] }) {
  return (req: IncomingMessage, res: ServerResponse) => {
    stats.hits++;
    stats.paths.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://origin');
      let body: string;
      let type = 'text/html; charset=utf-8';
      if (url.pathname === '/form') {
        body =
          '<!doctype html><title>form</title><form method="post" action="/transfer">' +
          '<input name="to" id="to"><input name="amount" id="amount"><button id="go">Send</button></form>';
      } else if (req.method === 'POST') {
        body = `<!doctype html><title>received</title><pre id="got">${Buffer.concat(chunks).toString('utf8')}</pre>`;
      } else if (req.headers.accept?.includes('json')) {
        type = 'application/json';
        body = `{"origin":true,"path":${JSON.stringify(url.pathname)}}`;
      } else {
        body = `<!doctype html><title>origin</title><h1 id="origin">origin page ${url.pathname}${url.search}</h1>`;
      }
      res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on a fresh connection (no agent), from `from` when given, the whole body read as UTF-8. */
export function send(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {},
) {
  return new Promise<Reply>((resolve, reject) => {
    const opts = { method: o.method ?? 'GET', headers: o.headers, localAddress: o.from, agent: false };
    const req = request(url, opts, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }),
      );
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(o.body);
  });
}

export async function startTestGateway(
  cfg: ChallengeConfig,
  o: { mode?: Mode; clock?: Clock } = {},
): Promise<TestGateway> {
  const clock = o.clock ?? systemClock;
  const stats = { hits: 0, paths: [] as string[] };
  const origin = createServer(originHandler(stats));
  const originPort = await listen(origin);
  const challenge = createChallenge(cfg, clock);
  const responder = createResponder({ renderChallenge: challenge.renderChallenge });
  let snapshot: DetectSnapshot = { mode: o.mode ?? 'under-attack', pressure: 0, pinned: true, since: 0 };
  // The stage reads only clock and snapshot; store and policy belong to other stages.
  const deps = {
    clock,
    get snapshot() {
      return snapshot;
    },
  } as unknown as Deps;

  const gw = createServer((req, res) => {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const peerIp = normaliseIp(req.socket.remoteAddress ?? '');
    const routeClass: RouteClass = raw.startsWith('/static/') ? 'static' : 'critical';
    const ctx: RequestCtx = {
      id: newDecisionId(),
      startedAt: clock.now(),
      startedMono: clock.mono(),
      method: req.method ?? 'GET',
      path: q < 0 ? raw : raw.slice(0, q),
      query: q < 0 ? '' : raw.slice(q + 1),
      headers: req.headers,
      httpVersion: '1.1',
      tls: false,
      peerIp,
      client: { ip: peerIp, prefix: clientPrefix(peerIp) },
      routeClass,
      trace: [],
    };
    if (challenge.handleChallengeEndpoint(req, res, ctx, deps)) return;
    const v = challenge.stage.run(ctx, deps);
    if (v instanceof Promise) throw new Error('challenge stage is synchronous');
    if (v.kind !== 'pass') return responder.verdict(res, ctx, v);
    const up = request(
      { host: '127.0.0.1', port: originPort, method: req.method, path: raw, headers: req.headers },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const port = await listen(gw);
  return {
    url: `http://127.0.0.1:${port}`,
    origin: stats,
    challenge,
    setMode(m) {
      snapshot = { ...snapshot, mode: m };
    },
    async close() {
      gw.closeAllConnections();
      origin.closeAllConnections();
      await Promise.all([new Promise((r) => gw.close(r)), new Promise((r) => origin.close(r))]);
    },
  };
}
