// Shop search: deliberately expensive (a LIKE scan over the catalogue plus modelled CPU), the kind of
// endpoint floods target. Bounded inputs, paginated, and admitted through the heavy-request slots.
import { type App, withHeavySlot } from '../app.ts';
import { burnCpu } from '../costs.ts';
import { type Ctx, HttpError, html, json } from '../http/reply.ts';
import { esc, page, pickLang, t } from '../pages/layout.ts';

const PAGE_SIZE = 20;
const MAX_PAGE = 50;
const MAX_COUNTED = 1_000;
/** Seconds a shared cache may keep a result page. */
const SEARCH_CACHE_S = 30;

type Hit = { id: number; name: string; price_cents: number };

function parse(ctx: Ctx): { q: string; page: number } {
  const q = (ctx.query.get('q') ?? '').trim().toLowerCase();
  if (q.length < 2 || q.length > 64) {
    throw new HttpError(400, 'bad-query', 'Recherche : 2 à 64 caractères.', 'Search: 2 to 64 characters.');
  }
  const p = Number(ctx.query.get('page') ?? '1');
  if (!Number.isInteger(p) || p < 1 || p > MAX_PAGE) {
    throw new HttpError(
      400,
      'bad-page',
      `Page : entier de 1 à ${MAX_PAGE}.`,
      `Page: an integer from 1 to ${MAX_PAGE}.`,
    );
  }
  return { q, page: p };
}

async function run(app: App, q: string, p: number): Promise<{ total: number; hits: Hit[] }> {
  return withHeavySlot(app, async () => {
    const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const where = "lower(name) LIKE ? ESCAPE '\\' OR lower(description) LIKE ? ESCAPE '\\'";
    // Counting stops at MAX_COUNTED: "1000+ results" is all a shopper needs, and an exact count would double the scan.
    const total = await app.db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM products WHERE ${where} LIMIT ${MAX_COUNTED}) t`,
      [like, like],
    );
    const hits = await app.db.all<Hit>(
      `SELECT id, name, price_cents FROM products WHERE ${where} ORDER BY name, id LIMIT ? OFFSET ?`,
      [like, like, PAGE_SIZE, (p - 1) * PAGE_SIZE],
    );
    if (app.costs.searchCpuMs > 0) await burnCpu(app.costs.searchCpuMs);
    return { total: Number(total?.n ?? 0), hits };
  });
}

export async function searchJson(app: App, ctx: Ctx): Promise<void> {
  const { q, page: p } = parse(ctx);
  const r = await run(app, q, p);
  // Catalogue results are public: a shared cache (the gateway's micro-cache) may keep them briefly.
  json(
    ctx,
    200,
    {
      q,
      page: p,
      pageSize: PAGE_SIZE,
      total: r.total,
      items: r.hits.map((h) => ({ id: Number(h.id), name: h.name, priceCents: Number(h.price_cents) })),
    },
    { 'cache-control': `public, max-age=${SEARCH_CACHE_S}` },
  );
}

export async function searchPage(app: App, ctx: Ctx): Promise<void> {
  const lang = pickLang(ctx.query, ctx.req.headers['accept-language']);
  const { q, page: p } = parse(ctx);
  const r = await run(app, q, p);
  const rows = r.hits
    .map((h) => `<tr><td>${esc(h.name)}</td><td>${(Number(h.price_cents) / 100).toFixed(2)} €</td></tr>`)
    .join('');
  const next =
    p * PAGE_SIZE < r.total && p < MAX_PAGE
      ? `<a href="?q=${encodeURIComponent(q)}&page=${p + 1}">${t(lang, 'Suivant', 'Next')} →</a>`
      : '';
  html(
    ctx,
    200,
    page(
      lang,
      t(lang, 'Boutique', 'Shop'),
      `<h1>${t(lang, 'Boutique', 'Shop')} — « ${esc(q)} »</h1><p>${r.total} ${t(lang, 'résultats', 'results')}, page ${p}</p>
<table>${rows}</table><p>${next}</p>`,
    ),
    SEARCH_CACHE_S,
  );
}
