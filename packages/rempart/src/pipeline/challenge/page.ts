import { BASE, PAGE_SCRIPT, PAGE_STYLE, WORKER_SCRIPT } from './assets.ts';
import type { ChallengeConfig } from './config.ts';
import { type Lang, WORDS } from './i18n.ts';
import type { ProofSpec } from './proof.ts';

// The interstitial HTML: markup only (about 1 kB), its script and style are same-origin assets cached by the
// browser (assets.ts), no third-party asset, and one constant CSP for every page.

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
  readonly branding: ChallengeConfig['branding'];
  /** Kept POST fields, 'lost' when a POST body could not be kept, undefined for a GET. */
  readonly form?: readonly (readonly [string, string])[] | 'lost';
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escChar = (c: string): string => ESC[c] ?? `&#${c.codePointAt(0)};`;
const ESCAPED = /[&<>"']|[^\x00-\x7f]/gu;

/**
 * HTML-escapes text and writes every non-ASCII character as a numeric reference, so the page stays a plain
 * ASCII string: the socket write is then a byte copy, where UTF-8 encoding a two-byte string ("…" makes the
 * French text one) cost ~12 % of the gateway's CPU on a flood of challenge pages.
 */
export function esc(s: string): string {
  // Most inputs (a path, a signed token) need nothing: one scan instead of a Unicode-aware regex replace.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || c === 38 || c === 60 || c === 62 || c === 34 || c === 39) return s.replace(ESCAPED, escChar);
  }
  return s;
}

/** The same ASCII text in V8's one-byte representation (round trip through latin1 bytes). */
function oneByte(ascii: string): string {
  return Buffer.from(ascii, 'latin1').toString('latin1');
}

/** The same for every page: nothing inline is allowed, so no nonce is made per response. */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; worker-src 'self'; connect-src 'self'; " +
  "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

interface Statics {
  readonly head: string;
  readonly top: string;
  readonly middle: string;
  readonly noscriptGet: string;
  readonly kept: string;
  readonly lost: string;
  readonly ref: string;
  readonly end: string;
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
<meta name="robots" content="noindex"><title>${esc(`${w.title} · ${b.name}`)}</title><link rel="stylesheet" href="${PAGE_STYLE.url}">`,
    top: `" data-done="${esc(w.done)}" data-fail="${esc(w.fail)}">
${b.logo === undefined ? `<p class="brand">${esc(b.name)}</p>` : `<img src="${esc(b.logo)}" alt="${esc(b.name)}">`}
<h1>${esc(w.title)}</h1><p>${esc(msg ?? w.lead)}</p>
<div id="work" hidden><label for="pg">${esc(w.working)}</label> <progress id="pg" max="100" value="0"></progress></div>
<p id="st" role="status" aria-live="polite"></p>
<p id="again" hidden><a href="`,
    middle: `">${esc(w.again)}</a></p>\n`,
    noscriptGet: `<noscript><p>${esc(w.noscript(waitS))}</p></noscript>`,
    kept: `<p>${esc(w.formKept)}</p><noscript><p>${esc(w.nojsForm(waitS))}</p><button type="submit">${esc(w.send)}</button></noscript></form>`,
    lost: `<p><strong>${esc(w.formLost)}</strong></p>`,
    ref: `\n<p class="ref">${esc(w.ref)}${lang === 'fr' ? ' :' : ':'} `,
    end: `</p></main>\n<script src="${PAGE_SCRIPT.url}"></script></body></html>`,
  };
  // esc() output is ASCII but keeps its input's two-byte representation (the French words hold "…"); a page built
  // from two-byte parts is two-byte, and the socket write then transcodes every character. Stored one-byte.
  for (const k of Object.keys(s) as (keyof Statics)[]) (s as Record<keyof Statics, string>)[k] = oneByte(s[k]);
  if (byKey.size < 16) byKey.set(key, s);
  return s;
}

export function renderPage(p: PageInput): string {
  const s = statics(p.lang, p.branding, p.waitS);
  const back = esc(p.back);
  // Without JavaScript the challenge itself is the ticket: it works at /wait once its signed not-before has passed.
  // (A challenge is base64url and BASE a constant path: only the percent-encoded return address can need escaping.)
  const wait = `${BASE}wait?t=${p.challenge}&amp;r=${esc(encodeURIComponent(p.back))}`;
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
    `${s.head}${refresh}</head>\n` +
    `<body><main id="rp" data-c="${p.challenge}" data-bits="${pr.bits}"${scrypt} data-worker="${WORKER_SCRIPT.url}" data-verify="${BASE}verify" data-back="${back}" data-keep="${fields === undefined ? '0' : '1'}` +
    `${s.top}${back}${s.middle}${fields === undefined ? s.noscriptGet : ''}\n${form}${s.ref}${p.decisionId}${s.end}`
  );
}
