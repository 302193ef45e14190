import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AnyResponse } from '../respond.ts';
import { PAGE_CSS } from './page-style.ts';
import { PAGE_JS, WORKER_JS } from './worker-script.ts';

// The challenge page's script, style and proof worker, served same-origin under /.rempart/: each challenge page is
// then about 1 kB of markup and its CSP a constant string, with no per-response nonce. The page names each asset
// with a hash of its content (?v=), so a browser keeps it for a year, and a page can never be paired with another
// version's script after an upgrade or a rollback (a URL without the current hash gets a short cache).

export const BASE = '/.rempart/';

export interface Asset {
  /** What the page links: path plus content version. */
  readonly url: string;
  readonly version: string;
  readonly type: string;
  readonly body: Buffer;
}

function asset(name: string, type: string, text: string): Asset {
  const body = Buffer.from(text);
  const version = createHash('sha256').update(body).digest('base64url').slice(0, 12);
  return { url: `${BASE}${name}?v=${version}`, version, type, body };
}

export const PAGE_SCRIPT = asset('page.js', 'text/javascript; charset=utf-8', PAGE_JS);
export const PAGE_STYLE = asset('page.css', 'text/css; charset=utf-8', PAGE_CSS);
export const WORKER_SCRIPT = asset('worker.js', 'text/javascript; charset=utf-8', WORKER_JS);

/** By name under BASE. */
export const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ['page.js', PAGE_SCRIPT],
  ['page.css', PAGE_STYLE],
  ['worker.js', WORKER_SCRIPT],
]);

const YEAR = 'public, max-age=31536000, immutable';
const HOUR = 'public, max-age=3600';

export function writeAsset(res: AnyResponse, a: Asset, query: string): void {
  (res as ServerResponse).writeHead(200, {
    'content-type': a.type,
    'content-length': a.body.length,
    'cache-control': query === `v=${a.version}` ? YEAR : HOUR,
    'x-content-type-options': 'nosniff',
  });
  res.end(a.body);
}
