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
  readonly ticket: string;
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

// The page is bytes assembled from pieces: static ones (per language, branding and wait) are encoded to UTF-8 once,
// the few per-request ones (challenge, ticket, nonce, return path, decision id) are written into one buffer. A
// template string of the whole page would be re-flattened and re-scanned for every response (profiled: a quarter
// of the challenge path's CPU went to encoding it), and this is the reject path under attack.
type Piece = string | Buffer;

function assemble(parts: readonly Piece[]): Buffer {
  let n = 0;
  for (const x of parts) n += typeof x === 'string' ? Buffer.byteLength(x) : x.length;
  const out = Buffer.allocUnsafe(n);
  let o = 0;
  for (const x of parts) o += typeof x === 'string' ? out.write(x, o) : x.copy(out, o);
  return out;
}

const bytes = (x: string) => Buffer.from(x);
const STYLE_OPEN = bytes('<style nonce="');
const STYLE_CSS = bytes(`">${CSS}</style><noscript><style nonce="`);
const HEAD_END = bytes('">#work{display:none}</style></noscript></head>\n<body><main id="rp" data-c="');
const DATA_BITS = bytes('" data-bits="');
const DATA_BACK = bytes(` data-worker="${BASE}worker.js" data-verify="${BASE}verify" data-back="`);
const SCRIPT_OPEN = bytes('</p></main>\n<script nonce="');
const SCRIPT = bytes(`">${PAGE_JS}</script></body></html>`);

interface Statics {
  readonly head: Buffer;
  readonly top: Buffer;
  readonly middle: Buffer;
  readonly noscriptGet: Buffer;
  readonly kept: Buffer;
  readonly lost: Buffer;
  readonly ref: Buffer;
}

// Everything that depends only on language, branding and wait is escaped and encoded once per config.
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
    head: bytes(`<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${esc(w.title)} · ${esc(b.name)}</title>`),
    top: bytes(`" data-done="${esc(w.done)}" data-fail="${esc(w.fail)}">
${b.logo === undefined ? `<p class="brand">${esc(b.name)}</p>` : `<img src="${esc(b.logo)}" alt="${esc(b.name)}">`}
<h1>${esc(w.title)}</h1><p>${esc(msg ?? w.lead)}</p>
<div id="work"><label for="pg">${esc(w.working)}</label> <progress id="pg" max="100" value="0"></progress></div>
<p id="st" role="status" aria-live="polite"></p>
<p id="again" hidden><a href="`),
    middle: bytes(`">${esc(w.again)}</a></p>\n`),
    noscriptGet: bytes(`<noscript><p>${esc(w.noscript(waitS))}</p></noscript>\n`),
    kept: bytes(
      `<p>${esc(w.formKept)}</p><noscript><p>${esc(w.nojsForm(waitS))}</p><button type="submit">${esc(w.send)}</button></noscript></form>`,
    ),
    lost: bytes(`<p><strong>${esc(w.formLost)}</strong></p>`),
    ref: bytes(`\n<p class="ref">${esc(w.ref)}${lang === 'fr' ? ' :' : ':'} `),
  };
  if (byKey.size < 16) byKey.set(key, s);
  return s;
}

/** Same-origin return paths are usually plain ASCII with nothing to escape: skip the regex then. */
function escBack(r: string): string {
  for (let i = 0; i < r.length; i++) {
    const c = r.charCodeAt(i);
    if (c === 38 || c === 60 || c === 62 || c === 34 || c === 39) return esc(r);
  }
  return r;
}

export function renderPage(p: PageInput): Buffer {
  const s = statics(p.lang, p.branding, p.waitS);
  const back = escBack(p.back);
  const wait = esc(`${BASE}wait?t=${p.ticket}&r=${encodeURIComponent(p.back)}`);
  const fields = Array.isArray(p.form) ? p.form : undefined;
  const pr = p.proof;
  const scrypt = pr.alg === 'scrypt' ? ` data-alg="scrypt" data-n="${pr.n}" data-r="${pr.r}" data-p="${pr.p}"` : '';
  // A GET without JavaScript continues by itself after the wait; a kept POST needs the person to press the button.
  const parts: Piece[] = [
    s.head,
    fields === undefined ? `<noscript><meta http-equiv="refresh" content="${p.waitS};url=${wait}"></noscript>` : '',
    STYLE_OPEN,
    p.nonce,
    STYLE_CSS,
    p.nonce,
    HEAD_END,
    p.challenge,
    DATA_BITS,
    `${pr.bits}"${scrypt}`,
    DATA_BACK,
    back,
    fields === undefined ? '" data-keep="0' : '" data-keep="1',
    s.top,
    back,
    s.middle,
  ];
  if (fields !== undefined) {
    parts.push('\n');
    let form = `<form id="rf" method="post" action="${wait}">`;
    for (const [k, v] of fields) form += `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`;
    parts.push(form, s.kept);
  } else {
    parts.push(s.noscriptGet);
    if (p.form === 'lost') parts.push(s.lost);
  }
  parts.push(s.ref, p.decisionId, SCRIPT_OPEN, p.nonce, SCRIPT);
  return assemble(parts);
}
