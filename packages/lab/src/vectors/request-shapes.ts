// What each request-level attack sends. Pure: a PRNG in, a request description out.
// DDoSia-like traffic per published captures: random 6–12 char tokens in path/query/body, ~30 % POST
// to login/search/forms, rotating User-Agents, no JavaScript (so no challenge is ever solved).

export interface AttackRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export type Rng = () => number;

/** Small deterministic PRNG (mulberry32) so runs are reproducible from a seed. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function token(rng: Rng, min = 6, max = 12): string {
  const n = min + Math.floor(rng() * (max - min + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(rng() * ALPHABET.length)];
  return s;
}

export const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko',
];

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function base(rng: Rng): Record<string, string> {
  return { 'user-agent': USER_AGENTS[Math.floor(rng() * USER_AGENTS.length)], accept: '*/*', 'x-lab-attack': '1' };
}

export function ddosiaRequest(rng: Rng): AttackRequest {
  const h = base(rng);
  const r = rng();
  if (r < 0.3) {
    const targets = ['/api/accounts/login', '/api/accounts', '/boutique/recherche', '/api/parcels'];
    const path = targets[Math.floor(rng() * targets.length)];
    return {
      method: 'POST',
      path: `${path}?${token(rng)}=${token(rng)}`,
      headers: { ...h, ...FORM },
      body: `username=${token(rng)}&password=${token(rng)}&q=${token(rng)}`,
    };
  }
  if (r < 0.65) return { method: 'GET', path: `/boutique/recherche?q=${token(rng)}`, headers: h };
  if (r < 0.85) return { method: 'GET', path: `/${token(rng)}/${token(rng)}`, headers: h };
  return { method: 'GET', path: `/suivi/${token(rng, 13, 13).toUpperCase()}?${token(rng)}=${token(rng)}`, headers: h };
}

export function cacheBustRequest(rng: Rng): AttackRequest {
  const pages = ['/status', '/status.json', '/suivi/LA000000001FR', '/boutique/recherche?q=colis'];
  const p = pages[Math.floor(rng() * pages.length)];
  return { method: 'GET', path: `${p}${p.includes('?') ? '&' : '?'}${token(rng)}=${token(rng)}`, headers: base(rng) };
}

export function loginStuffingRequest(rng: Rng): AttackRequest {
  return {
    method: 'POST',
    path: '/api/accounts/login',
    headers: { ...base(rng), 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${token(rng)}@example.org`, password: token(rng, 8, 16) }),
  };
}

export function searchExhaustionRequest(rng: Rng): AttackRequest {
  const page = 1 + Math.floor(rng() * 500);
  return {
    method: 'GET',
    path: `/boutique/recherche?q=${token(rng, 1, 3)}*&page=${page}&tri=prix`,
    headers: base(rng),
  };
}

export function oversizedRequest(rng: Rng): AttackRequest {
  const r = rng();
  if (r < 0.34) return { method: 'GET', path: `/boutique/recherche?q=${'a'.repeat(16_000)}`, headers: base(rng) };
  if (r < 0.67) return { method: 'GET', path: '/status', headers: { ...base(rng), 'x-filler': 'b'.repeat(20_000) } };
  return {
    method: 'POST',
    path: '/api/accounts',
    headers: { ...base(rng), ...FORM },
    body: `m=${'c'.repeat(2_000_000)}`,
  };
}

export const requestShapes = {
  ddosia: ddosiaRequest,
  'cache-bust': cacheBustRequest,
  'login-stuffing': loginStuffingRequest,
  'search-exhaustion': searchExhaustionRequest,
  oversized: oversizedRequest,
  'low-and-slow': ddosiaRequest,
} as const;

export type RequestVector = keyof typeof requestShapes;
