// startPoste(): the whole reference service — public listener, internal ATM listener, storage, seed,
// approvals sweeper — as one programmatic call for the demo, the lab and the tests.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultPrefixParams, LoginThrottle, type PrefixParams } from './accounts/login-throttle.ts';
import { dummyHashFor } from './accounts/password.ts';
import type { App } from './app.ts';
import { createAtmServer } from './atm/atm-server.ts';
import { type ApprovalParams, Approvals, defaultApprovalParams } from './bank/approvals.ts';
import { PushHub } from './bank/push-hub.ts';
import { outboxProvider } from './bank/sms-outbox.ts';
import { type Costs, defaultCosts } from './costs.ts';
import { LoadMeter } from './http/load-meter.ts';
import { type Ctx, fail, HttpError } from './http/reply.ts';
import { Router } from './http/router.ts';
import * as accounts from './routes/accounts.ts';
import * as parcels from './routes/parcels.ts';
import * as payments from './routes/payments.ts';
import * as search from './routes/search.ts';
import * as status from './routes/status.ts';
import * as tracking from './routes/tracking.ts';
import type { Db } from './store/db.ts';
import { openDb } from './store/open-db.ts';
import { pruneExpired } from './store/retention.ts';
import { type SeedReport, seed } from './store/seed.ts';

export type PosteOptions = {
  /** Public port (0 = any free port). */
  port?: number;
  /** Internal shop/ATM port (0 = any free port). */
  atmPort?: number;
  host?: string;
  /** sqlite:PATH, a bare path, :memory:, or postgres://...[?schema=NAME]. Default :memory:. */
  db?: string;
  seedParcels?: number;
  costs?: Partial<Costs>;
  approvals?: Partial<ApprovalParams>;
  loginThrottle?: Partial<PrefixParams>;
  /** terminal id → shared secret for the ATM listener. */
  atmSecrets?: Record<string, string>;
  /** Expose /api/demo/sms-outbox (demo and tests only). Default true. */
  demoEndpoints?: boolean;
  maxConnections?: number;
  atmMaxConnections?: number;
  /** Take the client address from X-Forwarded-For when the peer is loopback (the local gateway). Default true. */
  trustForwardedFor?: boolean;
};

export type Poste = { url: string; atmUrl: string; db: Db; seeded: SeedReport; close(): Promise<void> };

export const defaultAtmSecrets: Record<string, string> = { 'atm-demo-1': 'atm-demo-secret-change-me' };

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.');
}

/** The client address: the socket peer, or the gateway's X-Forwarded-For when the peer is a local proxy. */
function clientIp(req: IncomingMessage, trustForwardedFor: boolean): string {
  const peer = req.socket.remoteAddress ?? '';
  const xff = req.headers['x-forwarded-for'];
  if (trustForwardedFor && typeof xff === 'string' && xff && isLoopback(peer)) {
    const last = xff.lastIndexOf(',');
    return (last >= 0 ? xff.slice(last + 1) : xff).trim();
  }
  return peer;
}

function routes(app: App): Router {
  const r = new Router();
  const h = (fn: (app: App, ctx: Ctx) => Promise<void> | void) => (ctx: Ctx) => fn(app, ctx);
  return r
    .on('GET', '/suivi/:id', h(tracking.trackingPage))
    .on('GET', '/api/parcels/:id/events', h(tracking.trackingJson))
    .on('POST', '/api/parcels', h(parcels.sendParcel))
    .on('POST', '/api/parcels/:id/pickup', h(parcels.bookPickup))
    .on('GET', '/boutique/recherche', h(search.searchPage))
    .on('GET', '/api/boutique/recherche', h(search.searchJson))
    .on('POST', '/api/accounts', h(accounts.register))
    .on('POST', '/api/accounts/login', h(accounts.login))
    .on('GET', '/api/accounts/me', h(accounts.me))
    .on('POST', '/api/accounts/unlock/request', h(accounts.requestUnlock))
    .on('POST', '/api/accounts/unlock', h(accounts.unlock))
    .on('POST', '/api/payments', h(payments.createPayment))
    .on('GET', '/api/payments/:id', h(payments.getPayment))
    .on('POST', '/api/payments/:id/otp', h(payments.confirmOtp))
    .on('GET', '/api/app/stream', h(payments.appStream))
    .on('POST', '/api/app/payments/:id/decision', h(payments.appDecision))
    .on('GET', '/api/demo/sms-outbox', h(payments.smsOutbox))
    .on('GET', '/status', h(status.statusPage))
    .on('GET', '/status.json', h(status.statusJson))
    .on('GET', '/healthz', h(status.healthz));
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      resolve(`http://${h}:${a.port}`);
    });
  });
}

export async function startPoste(o: PosteOptions = {}): Promise<Poste> {
  const costs: Costs = { ...defaultCosts, ...o.costs };
  const host = o.host ?? '127.0.0.1';
  const dbUrl = o.db ?? ':memory:';
  const db = await openDb(dbUrl);
  const seeded = await seed(db, {
    parcels: o.seedParcels ?? 5_000,
    products: costs.catalogueSize,
    scryptN: costs.scryptN,
  });
  // The ATM path gets its own pool on PostgreSQL; SQLite is one file and one writer, so it is shared.
  const atmDb = db.kind === 'postgres' ? await openDb(dbUrl, { poolSize: 4 }) : db;
  const now = Date.now;
  const push = new PushHub();
  const approvals = new Approvals({
    db,
    push,
    sms: outboxProvider,
    params: { ...defaultApprovalParams, ...o.approvals },
    now,
  });
  const app: App = {
    db,
    costs,
    now,
    load: new LoadMeter(),
    throttle: new LoginThrottle({ ...defaultPrefixParams, ...o.loginThrottle }),
    push,
    sms: outboxProvider,
    approvals,
    dummyHash: await dummyHashFor(costs.scryptN),
    demoEndpoints: o.demoEndpoints ?? true,
    startedAt: now(),
    heavy: { inFlight: 0 },
  };
  const router = routes(app);
  const trustXff = o.trustForwardedFor ?? true;

  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, async (req, res) => {
    const started = app.load.start();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const ctx: Ctx = {
      req,
      res,
      params: {},
      query: new URLSearchParams(q >= 0 ? url.slice(q + 1) : ''),
      requestId: (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) ?? randomUUID(),
      ip: clientIp(req, trustXff),
    };
    try {
      const handler = router.match(req.method ?? 'GET', q >= 0 ? url.slice(0, q) : url, ctx.params);
      if (handler === undefined) throw new HttpError(404, 'not-found', 'Page introuvable.', 'Page not found.');
      if (handler === 'method')
        throw new HttpError(405, 'method-not-allowed', 'Méthode non autorisée.', 'Method not allowed.');
      await handler(ctx);
    } catch (err) {
      if (res.headersSent) res.destroy();
      else if (err instanceof HttpError) fail(ctx, err);
      else {
        process.stderr.write(`poste: ${ctx.requestId} ${req.method} ${url}: ${(err as Error)?.stack ?? err}\n`);
        fail(
          ctx,
          new HttpError(500, 'internal', 'Erreur interne, nous y travaillons.', 'Internal error, we are on it.'),
        );
      }
    } finally {
      app.load.end(started);
    }
  });
  server.maxConnections = o.maxConnections ?? 10_000;
  const atm = createAtmServer({
    db: atmDb,
    secrets: o.atmSecrets ?? defaultAtmSecrets,
    now,
    maxConnections: o.atmMaxConnections ?? 64,
  });

  const url = await listen(server, o.port ?? 0, host);
  const atmUrl = await listen(atm, o.atmPort ?? 0, host);
  approvals.start();
  const pruner = setInterval(() => void pruneExpired(db, now()).catch(() => {}), 60_000);
  pruner.unref();

  return {
    url,
    atmUrl,
    db,
    seeded,
    async close() {
      approvals.stop();
      clearInterval(pruner);
      push.close();
      for (const s of [server, atm]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
      if (atmDb !== db) await atmDb.close();
      await db.close();
    },
  };
}
