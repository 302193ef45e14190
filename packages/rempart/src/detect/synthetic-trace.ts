import type { RouteClass } from '../pipeline/types.ts';
import type { ObserveFacts } from './facts.ts';

// Deterministic per-second traffic for detector tests and benchmarks: a legit population with a fixed
// mix of routes, browsers, cookies and Referers, and attack programs modelled on published DDoSia
// captures (many IPs, little each, random query tokens, ~30 % POST, rotating User-Agents, no cookies).

/** mulberry32: a small seeded PRNG so every trace is the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RouteSpec {
  route: string;
  cls: RouteClass;
  weight: number;
  method: string;
  path: (r: () => number) => string;
  query: (r: () => number) => string;
}

const WORDS = ['colis', 'lettre', 'timbre', 'bureau', 'horaires', 'tarifs', 'recommande', 'suivi'];

export const LEGIT_ROUTES: RouteSpec[] = [
  { route: 'home', cls: 'normal', weight: 30, method: 'GET', path: () => '/', query: () => '' },
  {
    route: 'suivi',
    cls: 'critical',
    weight: 30,
    method: 'GET',
    path: (r) => `/suivi/6A${Math.floor(r() * 1e11)}`,
    query: () => '',
  },
  {
    route: 'recherche',
    cls: 'bulk',
    weight: 20,
    method: 'GET',
    path: () => '/recherche',
    query: (r) => `q=${WORDS[Math.floor(r() * WORDS.length)]}`,
  },
  { route: 'login', cls: 'critical', weight: 10, method: 'POST', path: () => '/compte/connexion', query: () => '' },
  { route: 'static', cls: 'static', weight: 10, method: 'GET', path: () => '/assets/app.css', query: () => '' },
];

const BROWSERS = [
  { fp: 'c0ffee01', ua: 'Mozilla/5.0 Chrome/131', weight: 60 },
  { fp: 'f1f0f0x2', ua: 'Mozilla/5.0 Firefox/133', weight: 30 },
  { fp: 'a5a5a5a3', ua: 'PosteApp/4.2 (Android)', weight: 10 },
];

function pick<T extends { weight: number }>(xs: readonly T[], r: () => number): T {
  let total = 0;
  for (const x of xs) total += x.weight;
  let u = r() * total;
  for (const x of xs) {
    u -= x.weight;
    if (u < 0) return x;
  }
  return xs[xs.length - 1];
}

function ip(n: number, base: number): string {
  const v = base + n;
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function prefixOf(a: string): string {
  return a.slice(0, a.lastIndexOf('.')) + '.0/24';
}

/** One legit request: a population of `population` clients, 60 % with a session cookie, 50 % with a Referer. */
export function legitRequest(r: () => number, population = 5_000, upstreamMs = 20): ObserveFacts {
  const spec = pick(LEGIT_ROUTES, r);
  const b = pick(BROWSERS, r);
  const src = ip(Math.floor(r() * population), 0x0a000000);
  return {
    ip: src,
    prefix: prefixOf(src),
    method: spec.method,
    path: spec.path(r),
    query: spec.query(r),
    route: spec.route,
    routeClass: spec.cls,
    verdict: 'pass',
    status: 200,
    upstreamMs,
    fingerprint: b.fp,
    hasCookie: r() < 0.6,
    hasReferer: r() < 0.5,
    ua: b.ua,
  };
}

const BOT_UAS = ['Mozilla/5.0 (Windows NT 10.0)', 'Mozilla/5.0 (X11; Linux)', 'Mozilla/5.0 (Macintosh)', 'curl/8'];

function token(r: () => number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(r() * 36)];
  return s;
}

/** One DDoSia-like request: one program (one fingerprint), a huge IP pool, random search tokens, 30 % POST login. */
export function ddosiaRequest(r: () => number, pool = 200_000, fp = 'b07b07b0'): ObserveFacts {
  const src = ip(Math.floor(r() * pool), 0x50000000);
  const post = r() < 0.3;
  return {
    ip: src,
    prefix: prefixOf(src),
    method: post ? 'POST' : 'GET',
    path: post ? '/compte/connexion' : '/recherche',
    query: post ? '' : `q=${token(r, 6 + Math.floor(r() * 7))}`,
    route: post ? 'login' : 'recherche',
    routeClass: post ? 'critical' : 'bulk',
    verdict: 'pass',
    status: 200,
    upstreamMs: 40,
    fingerprint: fp,
    hasCookie: false,
    hasReferer: false,
    ua: BOT_UAS[Math.floor(r() * BOT_UAS.length)],
  };
}
