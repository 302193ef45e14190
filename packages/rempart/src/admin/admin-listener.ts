import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newDecisionId } from '../core/decision-id.ts';
import { RempartError } from '../core/errors.ts';
import { banInputSchema, canonicalTarget, fieldErrors } from './ban-input.ts';
import { bearerMatches } from './bearer.ts';
import { explainDecision } from './explain.ts';
import { modeInputSchema } from './mode-input.ts';
import { redactConfig } from './redact.ts';
import type { AdminSources } from './sources.ts';

// The admin API, on its own listener (never on the public port). /healthz and /readyz answer without a token
// (probes); every other route needs `Authorization: Bearer <admin token>`. All answers are JSON except /metrics.

export interface AdminListenerOptions {
  readonly host: string;
  readonly port: number;
  /** Read per request so a reload can rotate it. */
  readonly token: string | (() => string);
  readonly sources: AdminSources;
}

export interface AdminListener {
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** Operator request bodies are small; anything larger is refused before it is buffered. */
const MAX_BODY = 16 * 1024;
/** Refused-auth log lines per second at most: someone hammering the admin port must not flood the log. */
const MAX_AUTH_LOGS_PER_S = 10;
const MAX_CONNECTIONS = 64;

const MSG: Readonly<Record<number, readonly [fr: string, en: string]>> = {
  400: ['Requête invalide.', 'Bad request.'],
  401: [
    "Non autorisé : un jeton d'administration valide est requis.",
    'Unauthorized: a valid admin token is required.',
  ],
  404: ['Introuvable.', 'Not found.'],
  405: ['Méthode non permise.', 'Method not allowed.'],
  409: ['Conflit avec la configuration en cours.', 'Conflicts with the running configuration.'],
  413: ['Contenu trop volumineux.', 'Payload too large.'],
  415: ['Le corps doit être du JSON.', 'The body must be JSON.'],
  500: ["Erreur interne de l'administration.", 'Internal admin error.'],
};

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function fail(
  res: ServerResponse,
  status: number,
  extra: Record<string, unknown> = {},
  headers?: Record<string, string>,
): string {
  const id = newDecisionId();
  const [fr, en] = MSG[status] ?? MSG[500];
  send(res, status, { status, error: en, message_fr: fr, decision_id: id, ...extra }, headers);
  return id;
}

function readJson(
  req: IncomingMessage,
): Promise<{ ok: true; value: unknown } | { ok: false; status: 400 | 413 | 415 }> {
  return new Promise((resolve) => {
    const type = req.headers['content-type'] ?? '';
    if (!type.includes('json')) {
      req.resume();
      resolve({ ok: false, status: 415 });
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY) {
      req.resume();
      resolve({ ok: false, status: 413 });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY && !done) {
        done = true;
        req.pause();
        resolve({ ok: false, status: 413 });
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      try {
        resolve({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      } catch {
        resolve({ ok: false, status: 400 });
      }
    });
    req.on('error', () => {
      if (!done) resolve({ ok: false, status: 400 });
      done = true;
    });
  });
}

export function createAdminListener(o: AdminListenerOptions): AdminListener {
  const s = o.sources;
  const token = typeof o.token === 'string' ? () => o.token as string : o.token;
  let authSecond = 0;
  let authLogged = 0;
  let authUnlogged = 0;

  function logRefused(req: IncomingMessage, method: string, path: string, id: string): void {
    const sec = Math.floor(s.clock.now() / 1000);
    if (sec !== authSecond) {
      authSecond = sec;
      authLogged = 0;
    }
    if (authLogged >= MAX_AUTH_LOGS_PER_S) {
      authUnlogged++;
      return;
    }
    authLogged++;
    const more = authUnlogged;
    authUnlogged = 0;
    s.log?.warn(
      { ip: req.socket.remoteAddress, method, path, decision_id: id, unlogged_before: more },
      'admin: refused request without a valid token',
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';

    if (path === '/healthz') return send(res, 200, { status: 'ok' });
    if (path === '/readyz') return ready(res);

    if (!bearerMatches(req.headers.authorization, token())) {
      const id = fail(res, 401, {}, { 'www-authenticate': 'Bearer realm="rempart-admin"' });
      logRefused(req, method, path, id);
      return;
    }

    if (path === '/metrics' && method === 'GET') {
      const text = await s.metrics();
      res.writeHead(200, { 'content-type': s.metricsContentType, 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    if (path === '/api/bans') {
      if (method === 'GET') return send(res, 200, { bans: s.store().listBans(s.clock.now()) });
      if (method === 'POST') return addBan(req, res);
      return fail(res, 405, {}, { allow: 'GET, POST' });
    }
    if (path.startsWith('/api/bans/')) {
      if (method !== 'DELETE') return fail(res, 405, {}, { allow: 'DELETE' });
      return removeBan(req, res, path.slice('/api/bans/'.length));
    }
    if (path.startsWith('/api/decisions/') && method === 'GET') {
      const id = decodeURIComponent(path.slice('/api/decisions/'.length));
      const rec = s.decisions.get(id) ?? (await s.findDecision?.(id));
      if (rec === undefined)
        return fail(res, 404, { detail: 'decision not found (unknown id, or older than the last decisions kept)' });
      return send(res, 200, explainDecision(rec));
    }
    if (path === '/api/config' && method === 'GET') return send(res, 200, redactConfig(s.config()));
    if (path === '/api/detect' && method === 'GET') {
      const d = s.detector?.();
      return send(res, 200, d === undefined ? { enabled: false } : { enabled: true, ...d.explain() });
    }
    if (path === '/api/mode') {
      if (method === 'GET') return send(res, 200, { mode: s.detect?.() ?? null });
      if (method === 'PUT') return pinMode(req, res);
      return fail(res, 405, {}, { allow: 'GET, PUT' });
    }
    if (path === '/api/state' && method === 'GET') {
      const now = s.clock.now();
      return send(res, 200, {
        tables: s.store().sizes(),
        bans: s.store().listBans(now).length,
        admission: s.admission(),
        upstreams: s.upstreamHealth(),
        decisions: { size: s.decisions.size, capacity: s.decisions.capacity },
        detect: s.detect?.() ?? null,
      });
    }
    return fail(res, 404);
  }

  function ready(res: ServerResponse): void {
    const listeners = s.listenersUp();
    const upstreams = s.upstreamHealth();
    const anyUpstream = Object.values(upstreams).some(Boolean);
    const ok = listeners && anyUpstream;
    send(res, ok ? 200 : 503, { ready: ok, listeners, upstreams });
  }

  async function addBan(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    if (!body.ok) {
      fail(res, body.status, body.status === 400 ? { detail: 'invalid JSON' } : {});
      if (body.status === 413) req.socket.destroySoon();
      return;
    }
    const parsed = banInputSchema.safeParse(body.value);
    if (!parsed.success) return void fail(res, 400, { fields: fieldErrors(parsed.error) });
    const now = s.clock.now();
    const entry = {
      target: parsed.data.target,
      reason: parsed.data.reason,
      rule: 'admin/ban',
      createdAt: now,
      expiresAt: now + parsed.data.ttl_s * 1000,
    };
    await s.store().ban(entry);
    s.onBan?.(entry);
    s.log?.info({ target: entry.target, ttl_s: parsed.data.ttl_s, reason: entry.reason }, 'admin: ban added');
    send(res, 201, { ban: entry });
  }

  /** PUT /api/mode {"mode": "under-attack"} pins a mode; {"mode": null} hands it back to detection. */
  async function pinMode(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const d = s.detector?.();
    if (d === undefined) return void fail(res, 409, { detail: 'detection is disabled (detect.enabled: false)' });
    const body = await readJson(req);
    if (!body.ok) return void fail(res, body.status, body.status === 400 ? { detail: 'invalid JSON' } : {});
    const parsed = modeInputSchema.safeParse(body.value);
    if (!parsed.success) return void fail(res, 400, { fields: fieldErrors(parsed.error) });
    const snap = d.pin(parsed.data.mode ?? undefined);
    s.onSnapshot?.(snap);
    s.log?.info({ mode: snap.mode, pinned: snap.pinned }, 'admin: protection mode set');
    send(res, 200, { mode: snap.mode, pinned: snap.pinned, since: snap.since });
  }

  async function removeBan(_req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      return void fail(res, 400, { fields: { target: ['not a valid URL-encoded value'] } });
    }
    const t = canonicalTarget(decoded);
    if (!t.ok) return void fail(res, 400, { fields: { target: [t.message] } });
    const removed = await s.store().unban(t.target);
    if (!removed) return void fail(res, 404, { detail: `no active ban on ${t.target}` });
    s.log?.info({ target: t.target }, 'admin: ban removed');
    send(res, 200, { removed: t.target });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      s.log?.warn({ err }, 'admin: request failed');
      if (!res.headersSent) fail(res, 500);
      else res.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.maxHeadersCount = 100;
  server.maxConnections = MAX_CONNECTIONS;

  return {
    listen() {
      return new Promise((resolve, reject) => {
        const onError = (err: Error) =>
          reject(
            new RempartError(
              'REMPART_LISTEN_FAILED',
              `admin listener cannot bind ${o.host}:${o.port}: ${err.message}`,
              { cause: err },
            ),
          );
        server.once('error', onError);
        server.listen(o.port, o.host, () => {
          server.off('error', onError);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
