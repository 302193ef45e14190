import { createHash, scrypt } from 'node:crypto';

// Tiny client for Rempart's API challenge: on a 401 carrying `WWW-Authenticate: Rempart-PoW ...`, find the proof
// (SHA-256, or scrypt when the gateway runs `challenge.proof: scrypt`),
// trade it for a clearance token at the verify endpoint, then retry with the token in `rempart-clearance`.
// The token is bound to the client's network prefix and User-Agent: keep both the same for its lifetime.

export interface ScryptParams {
  readonly n: number;
  readonly r: number;
  readonly p: number;
}

export interface PowChallenge {
  readonly challenge: string;
  readonly difficulty: number;
  readonly algorithm: 'sha256' | 'scrypt';
  /** Set when algorithm is scrypt. */
  readonly scrypt?: ScryptParams;
  /** Verify endpoint path, e.g. /.rempart/verify */
  readonly verify: string;
}

export const PROOF_HEADER = 'rempart-proof';
export const CLEARANCE_HEADER = 'rempart-clearance';

/** Reads the challenge parameters from a WWW-Authenticate value; undefined when it is not a Rempart-PoW one. */
export function parseChallenge(wwwAuthenticate: string | null | undefined): PowChallenge | undefined {
  if (!wwwAuthenticate?.startsWith('Rempart-PoW ')) return undefined;
  const p: Record<string, string> = {};
  for (const m of wwwAuthenticate.slice(12).matchAll(/([a-z]+)="([^"]*)"/g)) p[m[1]] = m[2];
  const difficulty = Number(p.difficulty);
  if (!p.challenge || !Number.isInteger(difficulty) || difficulty < 0 || difficulty > 32) return undefined;
  const verify = p.verify || '/.rempart/verify';
  const algorithm = p.algorithm ?? 'sha256';
  if (algorithm === 'sha256') return { challenge: p.challenge, difficulty, algorithm, verify };
  if (algorithm !== 'scrypt') return undefined;
  const [n, r, pp] = [Number(p.n), Number(p.r), Number(p.p)];
  // The gateway's bounds: a challenge outside them is not one this client will spend memory on.
  const ok = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!ok(Math.log2(n), 10, 14) || !ok(r, 1, 16) || !ok(pp, 1, 4)) return undefined;
  return { challenge: p.challenge, difficulty, algorithm, scrypt: { n, r, p: pp }, verify };
}

function zeroBits(h: Buffer): number {
  let n = 0;
  for (const b of h) {
    if (b === 0) n += 8;
    else return n + Math.clz32(b) - 24;
  }
  return n;
}

/** Finds a counter whose SHA-256("<challenge>:<counter>") starts with `difficulty` zero bits. */
export function solvePow(challenge: string, difficulty: number, maxTries = 2 ** 30): string {
  for (let i = 0; i < maxTries; i++) {
    const c = String(i);
    if (zeroBits(createHash('sha256').update(`${challenge}:${c}`).digest()) >= difficulty) return c;
  }
  throw new Error(`rempart client: no proof within ${maxTries} tries`);
}

function scryptOnce(password: string, salt: string, s: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, 32, { N: s.n, r: s.r, p: s.p, maxmem: 256 * s.n * s.r * s.p + (1 << 20) }, (e, k) =>
      e ? reject(e) : resolve(k),
    ),
  );
}

/** Finds a counter whose scrypt("<challenge>:<counter>", salt "<challenge>", N, r, p, 32 bytes) starts with `difficulty` zero bits. */
export async function solveScrypt(
  challenge: string,
  difficulty: number,
  s: ScryptParams,
  maxTries = 2 ** 16,
): Promise<string> {
  for (let i = 0; i < maxTries; i++) {
    const c = String(i);
    if (zeroBits(await scryptOnce(`${challenge}:${c}`, challenge, s)) >= difficulty) return c;
  }
  throw new Error(`rempart client: no proof within ${maxTries} tries`);
}

/** Solves whichever proof the challenge asks (scrypt guesses run on libuv's thread pool, off the event loop). */
export async function solveProof(c: PowChallenge, maxTries?: number): Promise<string> {
  if (c.algorithm === 'scrypt' && c.scrypt !== undefined)
    return solveScrypt(c.challenge, c.difficulty, c.scrypt, maxTries);
  return solvePow(c.challenge, c.difficulty, maxTries);
}

export interface ClearedFetchOptions {
  /** Origin of the gateway, e.g. http://127.0.0.1:8080 (used to reach the verify endpoint). */
  readonly origin: string;
  /** Headers sent on every request (keep user-agent stable: the clearance is bound to it). */
  readonly headers?: Record<string, string>;
  /** Extra fetch options (e.g. an undici dispatcher bound to a local address). */
  readonly init?: RequestInit & Record<string, unknown>;
  readonly fetch?: typeof fetch;
  /** Called with each solve, for reporting. */
  readonly onSolve?: (c: PowChallenge, ms: number) => void;
}

export interface ClearedFetch {
  (url: string, init?: RequestInit): Promise<Response>;
  /** Current clearance token, if any. */
  readonly clearance: () => string | undefined;
}

/** Trades a solved challenge for a clearance token. */
export async function obtainClearance(c: PowChallenge, o: ClearedFetchOptions): Promise<string> {
  const f = o.fetch ?? fetch;
  const t0 = performance.now();
  const n = await solveProof(c);
  const ms = Math.max(1, Math.round(performance.now() - t0));
  o.onSolve?.(c, ms);
  // 503: the gateway's scrypt checks are all busy; the challenge is still unspent, so send the proof again.
  for (let attempt = 0; ; attempt++) {
    const r = await f(new URL(c.verify, o.origin), {
      ...o.init,
      method: 'POST',
      headers: { ...o.headers, accept: 'application/json', [PROOF_HEADER]: `${c.challenge}:${n}:${ms}` },
    });
    const token = r.headers.get(CLEARANCE_HEADER);
    const retryS = Number(r.headers.get('retry-after')) || 1;
    await r.arrayBuffer();
    if (r.status === 503 && attempt < 4) {
      await new Promise((done) => setTimeout(done, Math.min(retryS, 5) * 1000));
      continue;
    }
    if (r.status !== 200 || !token) throw new Error(`rempart client: verify answered ${r.status}`);
    return token;
  }
}

/** A fetch that answers Rempart challenges by itself (one solve and one retry per request at most). */
export function createClearedFetch(o: ClearedFetchOptions): ClearedFetch {
  const f = o.fetch ?? fetch;
  let token: string | undefined;
  const send = (url: string, init: RequestInit | undefined) => {
    const headers = new Headers(o.headers);
    if (!headers.has('accept')) headers.set('accept', 'application/json');
    for (const [k, v] of new Headers(init?.headers)) headers.set(k, v);
    if (token) headers.set(CLEARANCE_HEADER, token);
    return f(new URL(url, o.origin), { ...o.init, ...init, headers });
  };
  const cleared = async (url: string, init?: RequestInit) => {
    const r = await send(url, init);
    if (r.status !== 401) return r;
    const c = parseChallenge(r.headers.get('www-authenticate'));
    if (c === undefined) return r;
    await r.arrayBuffer();
    token = await obtainClearance(c, o);
    return send(url, init);
  };
  return Object.assign(cleared, { clearance: () => token });
}
