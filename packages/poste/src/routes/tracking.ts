// Parcel tracking: the most-read public endpoint. Malformed numbers are refused before any database work.
import type { App } from '../app.ts';
import { burnCpu } from '../costs.ts';
import { type Ctx, HttpError, html, json } from '../http/reply.ts';
import { esc, type Lang, page, pickLang, t } from '../pages/layout.ts';
import { checkTrackingNumber } from '../tracking-number.ts';

type Parcel = { id: string; service: string; status: string; created_at: number; to_zip: string };
type Event = { seq: number; at: number; code: string; place: string };

async function load(app: App, raw: string): Promise<{ parcel: Parcel; events: Event[] }> {
  const check = checkTrackingNumber(raw);
  if (!check.ok) {
    throw new HttpError(
      400,
      `tracking-number-${check.reason}`,
      'Numéro de suivi invalide (format : 2 lettres, 9 chiffres, FR — ex. LA100000003FR).',
      'Invalid tracking number (format: 2 letters, 9 digits, FR — e.g. LA100000003FR).',
    );
  }
  if (app.costs.trackingCpuMs > 0) await burnCpu(app.costs.trackingCpuMs);
  const parcel = await app.db.get<Parcel>('SELECT id, service, status, created_at, to_zip FROM parcels WHERE id = ?', [
    check.id,
  ]);
  if (!parcel)
    throw new HttpError(404, 'parcel-not-found', 'Aucun colis avec ce numéro.', 'No parcel with this number.');
  const events = await app.db.all<Event>(
    'SELECT seq, at, code, place FROM parcel_events WHERE parcel_id = ? ORDER BY seq',
    [check.id],
  );
  return { parcel, events };
}

export async function trackingJson(app: App, ctx: Ctx): Promise<void> {
  const { parcel, events } = await load(app, ctx.params.id);
  json(ctx, 200, {
    trackingNumber: parcel.id,
    status: parcel.status,
    events: events.map((e) => ({ at: new Date(Number(e.at)).toISOString(), code: e.code, place: e.place })),
  });
}

const LABELS: Record<string, [string, string]> = {
  DEPOSE: ['Déposé', 'Posted'],
  TRI: ['En cours de tri', 'Being sorted'],
  EN_TRANSIT: ['En transit', 'In transit'],
  EN_LIVRAISON: ['En cours de livraison', 'Out for delivery'],
  LIVRE: ['Livré', 'Delivered'],
  LABEL_CREE: ['Étiquette créée', 'Label created'],
};
function label(lang: Lang, code: string): string {
  const l = LABELS[code];
  return l ? (lang === 'fr' ? l[0] : l[1]) : code;
}

export async function trackingPage(app: App, ctx: Ctx): Promise<void> {
  const lang = pickLang(ctx.query, ctx.req.headers['accept-language']);
  try {
    const { parcel, events } = await load(app, ctx.params.id);
    const rows = events
      .map(
        (e) =>
          `<tr><td>${esc(new Date(Number(e.at)).toISOString().slice(0, 16).replace('T', ' '))}</td><td>${esc(label(lang, e.code))}</td><td>${esc(e.place)}</td></tr>`,
      )
      .join('');
    html(
      ctx,
      200,
      page(
        lang,
        parcel.id,
        `<h1>${t(lang, 'Suivi', 'Tracking')} ${esc(parcel.id)}</h1><p><strong>${esc(label(lang, parcel.status))}</strong></p>
<table><tr><th>${t(lang, 'Date', 'Date')}</th><th>${t(lang, 'Étape', 'Step')}</th><th>${t(lang, 'Lieu', 'Place')}</th></tr>${rows}</table>`,
      ),
      30,
    );
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    html(
      ctx,
      err.status,
      page(
        lang,
        t(lang, 'Suivi', 'Tracking'),
        `<h1>${t(lang, 'Suivi', 'Tracking')}</h1><p class="bad">${esc(lang === 'fr' ? err.fr : err.message)}</p><p><small>${esc(ctx.requestId)}</small></p>`,
      ),
    );
  }
}
