// Public status (HTML + JSON, which the gateway may serve from cache when the origin is down) and the
// load report the gateway's admission control polls.
import type { App } from '../app.ts';
import { type Ctx, html, json } from '../http/reply.ts';
import { esc, page, pickLang, t } from '../pages/layout.ts';

async function statusDoc(app: App) {
  let db = 'ok';
  try {
    await app.db.get('SELECT 1 AS one');
  } catch {
    db = 'down';
  }
  const load = app.load.snapshot();
  const busy = app.heavy.inFlight >= app.costs.maxHeavyInFlight * 0.8;
  return {
    service: 'poste',
    status: db !== 'ok' ? 'down' : busy ? 'degraded' : 'ok',
    components: { database: db, pushChannel: `${app.push.size} streams`, sms: 'outbox' },
    load,
    updatedAt: new Date(app.now()).toISOString(),
    uptimeS: Math.round((app.now() - app.startedAt) / 1000),
  };
}

export async function statusJson(app: App, ctx: Ctx): Promise<void> {
  json(ctx, 200, await statusDoc(app), { 'cache-control': 'public, max-age=5' });
}

export async function statusPage(app: App, ctx: Ctx): Promise<void> {
  const lang = pickLang(ctx.query, ctx.req.headers['accept-language']);
  const s = await statusDoc(app);
  const word =
    s.status === 'ok'
      ? t(lang, 'Tous les services fonctionnent', 'All services operational')
      : t(lang, 'Service dégradé', 'Degraded service');
  html(
    ctx,
    200,
    page(
      lang,
      'Status',
      `<h1>${t(lang, 'État du service', 'Service status')}</h1><p class="${s.status === 'ok' ? 'ok' : 'bad'}">${word}</p>
<table><tr><td>${t(lang, 'Base de données', 'Database')}</td><td>${esc(s.components.database)}</td></tr>
<tr><td>${t(lang, 'Latence p99', 'p99 latency')}</td><td>${s.load.p99Ms} ms</td></tr><tr><td>${t(lang, 'Mis à jour', 'Updated')}</td><td>${esc(s.updatedAt)}</td></tr></table>`,
    ),
    5,
  );
}

export function healthz(app: App, ctx: Ctx): void {
  const l = app.load.snapshot();
  const saturated = app.heavy.inFlight >= app.costs.maxHeavyInFlight;
  json(ctx, saturated ? 503 : 200, {
    status: saturated ? 'saturated' : 'ok',
    inFlight: l.inFlight,
    p99Ms: l.p99Ms,
    p50Ms: l.p50Ms,
    rps: l.rps,
    heavyInFlight: app.heavy.inFlight,
    heavyLimit: app.costs.maxHeavyInFlight,
  });
}
