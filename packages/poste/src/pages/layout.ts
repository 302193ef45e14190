// Server-rendered pages: tiny, no scripts, fr first with en alongside, cacheable where public.

export type Lang = 'fr' | 'en';

export function pickLang(query: URLSearchParams, acceptLanguage: string | undefined): Lang {
  const q = query.get('lang');
  if (q === 'en' || q === 'fr') return q;
  return acceptLanguage?.startsWith('en') ? 'en' : 'fr';
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ESC[c]);
}

export function page(lang: Lang, title: string, body: string): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · La Poste démo</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
header{border-bottom:3px solid #ffc700;margin-bottom:1rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}
.ok{color:#0a7d32}.bad{color:#b00020}</style></head><body><header><strong>Poste</strong> — ${lang === 'fr' ? 'service de démonstration' : 'demo service'}</header>
${body}</body></html>`;
}

export function t(lang: Lang, fr: string, en: string): string {
  return lang === 'fr' ? fr : en;
}
