import type { ChallengeConfig } from './config.ts';
import { type Lang, WORDS } from './i18n.ts';
import type { ProofSpec } from './proof.ts';
import { PAGE_JS } from './worker-script.ts';

// The interstitial HTML: self-contained, everything inline under a per-response CSP nonce, no third-party asset.

export const BASE = '/.rempart/';

export interface PageInput {
  readonly lang: Lang;
  readonly challenge: string;
  /** The proof the page's worker searches, as signed into the challenge. */
  readonly proof: ProofSpec;
  /** Seconds before the challenge also works for the no-JS wait (its signed not-before). */
  readonly waitS: number;
  /** Validated same-origin path + query to return to. */
  readonly back: string;
  readonly decisionId: string;
  readonly nonce: string;
  readonly branding: ChallengeConfig['branding'];
  /** Kept POST fields, 'lost' when a POST body could not be kept, undefined for a GET. */
  readonly form?: readonly (readonly [string, string])[] | 'lost';
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]);
}

export function csp(nonce: string): string {
  return (
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; worker-src 'self'; ` +
    `connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`
  );
}

const CSS = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#16181d}
main{max-width:34rem;margin:12vh auto;padding:2rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin:.2rem 0 1rem}progress{width:100%;height:1rem}img{max-height:3rem}
.ref{color:#555;font-size:.85rem}.brand{font-weight:600;color:#1a56db;margin:0}button{font:inherit;padding:.5rem 1rem}
:focus-visible{outline:3px solid #1a56db;outline-offset:2px}
@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}main{background:#1c1e22}.ref{color:#aaa}}`;

interface Statics {
  readonly head: string;
  readonly top: string;
  readonly middle: string;
  readonly noscriptGet: string;
  readonly kept: string;
  readonly lost: string;
  readonly ref: string;
}

// Everything that depends only on language, branding and wait is escaped once per config, not per request.
const staticsCache = new WeakMap<ChallengeConfig['branding'], Map<string, Statics>>();

function statics(lang: Lang, b: ChallengeConfig['branding'], waitS: number): Statics {
  let byKey = staticsCache.get(b);
  if (byKey === undefined) {
    byKey = new Map();
    staticsCache.set(b, byKey);
  }
  const key = `${lang}${waitS}`;
  const hit = byKey.get(key);
  if (hit !== undefined) return hit;
  const w = WORDS[lang];
  const msg = lang === 'fr' ? b.message_fr : b.message_en;
  const s: Statics = {
    head: `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${esc(w.title)} · ${esc(b.name)}</title>`,
    top: `" data-done="${esc(w.done)}" data-fail="${esc(w.fail)}">
${b.logo === undefined ? `<p class="brand">${esc(b.name)}</p>` : `<img src="${esc(b.logo)}" alt="${esc(b.name)}">`}
<h1>${esc(w.title)}</h1><p>${esc(msg ?? w.lead)}</p>
<div id="work"><label for="pg">${esc(w.working)}</label> <progress id="pg" max="100" value="0"></progress></div>
<p id="st" role="status" aria-live="polite"></p>
<p id="again" hidden><a href="`,
    middle: `">${esc(w.again)}</a></p>\n`,
    noscriptGet: `<noscript><p>${esc(w.noscript(waitS))}</p></noscript>`,
    kept: `<p>${esc(w.formKept)}</p><noscript><p>${esc(w.nojsForm(waitS))}</p><button type="submit">${esc(w.send)}</button></noscript></form>`,
    lost: `<p><strong>${esc(w.formLost)}</strong></p>`,
    ref: `\n<p class="ref">${esc(w.ref)}${lang === 'fr' ? ' :' : ':'} `,
  };
  if (byKey.size < 16) byKey.set(key, s);
  return s;
}

export function renderPage(p: PageInput): string {
  const s = statics(p.lang, p.branding, p.waitS);
  const back = esc(p.back);
  // Without JavaScript the challenge itself is the ticket: it works at /wait once its signed not-before has passed.
  const wait = esc(`${BASE}wait?t=${p.challenge}&r=${encodeURIComponent(p.back)}`);
  const fields = Array.isArray(p.form) ? p.form : undefined;
  let form = '';
  if (fields !== undefined) {
    form = `<form id="rf" method="post" action="${wait}">`;
    for (const [k, v] of fields) form += `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`;
    form += s.kept;
  } else if (p.form === 'lost') {
    form = s.lost;
  }
  // A GET without JavaScript continues by itself after the wait; a kept POST needs the person to press the button.
  const refresh =
    fields === undefined ? `<noscript><meta http-equiv="refresh" content="${p.waitS};url=${wait}"></noscript>` : '';
  const pr = p.proof;
  const scrypt = pr.alg === 'scrypt' ? ` data-alg="scrypt" data-n="${pr.n}" data-r="${pr.r}" data-p="${pr.p}"` : '';
  return (
    `${s.head}${refresh}<style nonce="${p.nonce}">${CSS}</style><noscript><style nonce="${p.nonce}">#work{display:none}</style></noscript></head>\n` +
    `<body><main id="rp" data-c="${p.challenge}" data-bits="${pr.bits}"${scrypt} data-worker="${BASE}worker.js" data-verify="${BASE}verify" data-back="${back}" data-keep="${fields === undefined ? '0' : '1'}` +
    `${s.top}${back}${s.middle}${fields === undefined ? s.noscriptGet : ''}\n${form}${s.ref}${p.decisionId}</p></main>\n` +
    `<script nonce="${p.nonce}">${PAGE_JS}</script></body></html>`
  );
}
