import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Clock } from '../../core/clock.ts';
import { readCookie } from '../../core/cookie.ts';
import { clientPrefix } from '../../core/ip-prefix.ts';
import type { AnyRequest } from '../../listeners/types.ts';
import { identityStage } from '../identity/stage.ts';
import {
  type AnyResponse,
  asciiJson,
  type ChallengeRenderer,
  DECISION_HEADER,
  writeError,
  writeMade,
} from '../respond.ts';
import type { Deps, RequestCtx, Stage, Verdict } from '../types.ts';
import { ASSETS, BASE, writeAsset } from './assets.ts';
import type { ChallengeConfig } from './config.ts';
import { type ChallengeParams, type ClearanceState, decide } from './decide.ts';
import { pickLang } from './i18n.ts';
import { CSP, renderPage } from './page.ts';
import { checkProof, isCounter } from './pow.ts';
import { createScryptVerifier, decodeProof, encodeProof, type ProofSpec } from './proof.ts';
import { SolveRate } from './solve-rate.ts';
import {
  type Binding,
  createSigner,
  IdLedger,
  isToken,
  KIND_CHALLENGE,
  KIND_CLEARANCE,
  type LedgerFactory,
  type Signer,
  TOKEN_CHARS,
} from './token.ts';
import { VerifiedTokens } from './verified-tokens.ts';
import { VisitorPass } from './visitor-pass.ts';

// Adapter between the pure policy and HTTP: the pipeline stage (reads the clearance), the renderer of challenge
// verdicts (HTML page or JSON 401) and the /.rempart/ endpoint (page assets, proof check, no-JS wait).

export const PROOF_HEADER = 'rempart-proof';
export const CLEARANCE_HEADER = 'rempart-clearance';

export interface ChallengeModule {
  readonly stage: Stage;
  readonly renderChallenge: ChallengeRenderer;
  /** True when the request was under /.rempart/ and has been (or is being) answered here. */
  handleChallengeEndpoint(req: AnyRequest, res: AnyResponse, ctx: RequestCtx, deps?: Deps): boolean;
  reconfigure(cfg: ChallengeConfig): void;
  /** Current difficulty cap from reported solve times (for metrics and tests). */
  deviceCapBits(): number;
  /** The request carries a valid clearance (the priority lane of detection); verified once per request. */
  hasClearance(ctx: RequestCtx): boolean;
  /** In normal mode, the Set-Cookie of a visitor pass for a page load the gateway serves (see visitor-pass.ts). */
  offerPass(ctx: RequestCtx, deps: Deps): string | undefined;
  /** The request carries a live visitor pass with budget left; checked and spent once per request. */
  hasPass(ctx: RequestCtx): boolean;
}

export interface ChallengeOptions {
  /** The request carries a session the origin issued (detect/known-sessions.ts): a client known before the attack. */
  readonly knownSession?: (ctx: RequestCtx) => boolean;
  /**
   * The key to sign with when the configuration names none; default a random one. Worker threads of one process
   * are given the same, so a clearance earned on one passes on the others.
   */
  readonly processSecret?: Uint8Array;
  /**
   * Makes the id ledgers (used challenge ids; clearance and pass request counts), again when `max_tracked` changes.
   * Default: IdLedger, this thread only; worker threads of one process are given shared ones.
   */
  readonly ledger?: LedgerFactory;
}

const inMemoryLedger: LedgerFactory = (_use, capacity) => new IdLedger(capacity);

/** Verified clearances and visitor passes remembered per process (oldest dropped first). */
const VERIFIED_CACHE = 50_000;

function paramsOf(cfg: ChallengeConfig, cap: number): ChallengeParams {
  const d = cfg.proof === 'scrypt' ? cfg.scrypt : cfg.difficulty;
  return {
    classes: cfg.classes,
    challengeScore: cfg.challenge_score,
    blockScore: cfg.block_score,
    baseBits: d.base,
    maxBits: d.max,
    deviceCapBits: Math.max(d.base, cap),
  };
}

/** Solve times are comparable only for one algorithm and one set of parameters. */
function rateKey(s: ProofSpec | ChallengeConfig): string {
  const sc = 'alg' in s ? s : { alg: s.proof, ...s.scrypt };
  return sc.alg === 'sha256' ? 'sha256' : `scrypt-${sc.n}-${sc.r}-${sc.p}`;
}

// The field lines every challenge shares, checked once here rather than per answer (the CSP alone is 240 characters).
// The one machine-readable challenge goes in WWW-Authenticate too: a client that does not run the page's script can
// still answer it.
const PAGE_FIELDS =
  'content-type: text/html; charset=utf-8\r\ncache-control: no-store\r\n' +
  `content-security-policy: ${CSP}\r\nreferrer-policy: same-origin\r\nx-content-type-options: nosniff\r\n`;
const JSON_FIELDS = 'content-type: application/json; charset=utf-8\r\ncache-control: no-store\r\n';

function powAuth(challenge: string, s: ProofSpec): string {
  const params = s.alg === 'sha256' ? '' : `, n="${s.n}", r="${s.r}", p="${s.p}"`;
  return `Rempart-PoW challenge="${challenge}", difficulty="${s.bits}", algorithm="${s.alg}"${params}, verify="${BASE}verify"`;
}

/** A same-origin path only: anything else (scheme, //host, backslashes, control characters) returns "/". */
export function safeBack(r: string | null | undefined): string {
  if (!r || r.length > 4096 || r.charCodeAt(0) !== 47) return '/';
  const c1 = r.charCodeAt(1);
  if (c1 === 47 || c1 === 92) return '/';
  for (let i = 0; i < r.length; i++) {
    const c = r.charCodeAt(i);
    if (c < 33 || c === 127 || c === 92) return '/';
  }
  return r;
}

function isApi(ctx: RequestCtx): boolean {
  const a = ctx.headers.accept;
  return a === undefined || !a.includes('text/html');
}

function one(v: string | string[] | undefined): string {
  return v === undefined ? '' : typeof v === 'string' ? v : v[0];
}

/** Reads a body up to max bytes within timeoutMs; undefined when larger, slower or broken. */
function readBody(req: AnyRequest, max: number, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let n = 0;
    let done = false;
    const finish = (b: Buffer | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.removeListener('data', onData);
      resolve(b);
    };
    const onData = (c: Buffer) => {
      n += c.length;
      if (n > max) finish(undefined);
      else parts.push(c);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    req.on('data', onData);
    req.once('end', () => finish(Buffer.concat(parts)));
    req.once('error', () => finish(undefined));
    req.once('close', () => finish(n === 0 && req.readableEnded ? Buffer.alloc(0) : undefined));
  });
}

export function createChallenge(initial: ChallengeConfig, clock: Clock, opts: ChallengeOptions = {}): ChallengeModule {
  let cfg = initial;
  let signer: Signer;
  let rate = new SolveRate();
  let rated = rateKey(cfg);
  let cap = 32;
  const scryptChecks = createScryptVerifier(() => cfg.scrypt.max_verifying);
  let params = paramsOf(cfg, cap);
  const newLedger = opts.ledger ?? inMemoryLedger;
  let tracked = cfg.max_tracked;
  let nonces = newLedger('nonces', tracked);
  let spent = newLedger('spent', tracked);
  let cookieKey = `${cfg.clearance.cookie}=`;
  const processSecret = Buffer.from(opts.processSecret ?? randomBytes(32));
  const verified = new VerifiedTokens(VERIFIED_CACHE);

  const binding = (ctx: RequestCtx): Binding => ({
    prefix: ctx.client?.prefix ?? clientPrefix(ctx.peerIp),
    userAgent: one(ctx.headers['user-agent']),
  });
  const pass = new VisitorPass(binding, verified);

  const setup = (c: ChallengeConfig) => {
    // No configured secret: a per-process one (clearances then end with the process; say so in docs).
    signer = createSigner(c.secret ?? processSecret, c.previous_secret);
    verified.clear(); // a retired key must stop working at once
    cookieKey = `${c.clearance.cookie}=`;
    if (tracked !== c.max_tracked) {
      tracked = c.max_tracked;
      nonces = newLedger('nonces', tracked);
      spent = newLedger('spent', tracked);
    }
    pass.configure(c, signer, spent);
    if (rateKey(c) !== rated) {
      // Another proof: the solve times measured so far say nothing about it.
      rate = new SolveRate();
      rated = rateKey(c);
      cap = 32;
    }
    params = paramsOf(c, cap);
  };
  setup(cfg);

  const nowS = () => Math.floor(clock.now() / 1000);

  /** Verified once per request (the check spends one request of the clearance's budget) and kept on ctx. */
  const clearanceOf = (ctx: RequestCtx): ClearanceState => {
    if (ctx.clearance === undefined) ctx.clearance = verifyClearance(ctx);
    return ctx.clearance;
  };

  const verifyClearance = (ctx: RequestCtx): ClearanceState => {
    let t = one(ctx.headers[CLEARANCE_HEADER]);
    if (t === '') t = readCookie(ctx.headers.cookie, cookieKey) ?? '';
    if (t.length !== TOKEN_CHARS) return t === '' ? 'none' : 'invalid';
    const now = nowS();
    const r = verified.check(signer, t, KIND_CLEARANCE, binding(ctx), now);
    if (r === undefined) return 'invalid';
    return spent.spend(r, r.aux, now) ? 'valid' : 'spent';
  };

  const passOf = (ctx: RequestCtx): boolean => {
    if (ctx.pass === undefined) ctx.pass = pass.holds(ctx, nowS());
    return ctx.pass;
  };

  const stage: Stage = {
    name: 'challenge',
    run(ctx, deps): Verdict {
      if (!cfg.enabled) return { kind: 'pass' };
      const snap = deps.snapshot;
      const allowListed = ctx.allowListed === true;
      const clearance = allowListed ? 'none' : clearanceOf(ctx);
      // Asked only outside normal mode and without a clearance, so a pass's budget counts spared challenges.
      const known =
        snap.mode !== 'normal' &&
        !allowListed &&
        clearance !== 'valid' &&
        (opts.knownSession?.(ctx) === true || passOf(ctx));
      return decide(
        {
          routeClass: ctx.routeClass ?? ctx.route?.routeClass ?? 'normal',
          mode: snap.mode,
          pressure: snap.pressure,
          classWide: snap.mode === 'normal' || snap.engaged !== false,
          known,
          score: ctx.score ?? 0,
          allowListed,
          clearance,
        },
        params,
      );
    },
  };

  const cookie = (token: string, ctx: RequestCtx) =>
    `${cookieKey}${token}; Path=/; Max-Age=${cfg.clearance.ttl_s}; HttpOnly; SameSite=Lax${cfg.clearance.secure || ctx.tls ? '; Secure' : ''}`;

  const issueClearance = (b: Binding, budget: number) =>
    signer.sign(KIND_CLEARANCE, nowS() + cfg.clearance.ttl_s, budget, b);
  // A no-JS clearance cost only a wait, so it buys a tenth of the requests a proof of work buys.
  const nojsBudget = () => Math.max(1, Math.floor(cfg.clearance.budget / 10));

  // A verdict's difficulty is in the configured proof's bits, except detection's per-shape challenges, counted in
  // SHA-256 bits: scrypt caps them to its own maximum.
  const specFor = (bits: number): ProofSpec => {
    if (cfg.proof === 'sha256') return { alg: 'sha256', bits };
    const sc = cfg.scrypt;
    return {
      alg: 'scrypt',
      bits: Math.max(1, Math.min(bits, sc.max, params.deviceCapBits)),
      n: sc.n,
      r: sc.r,
      p: sc.p,
    };
  };

  // A challenge answers a flood, so the page path does one HMAC (the challenge, which is also the no-JS ticket),
  // writes a constant CSP (no nonce) and ~1 kB of markup (script and style are cached assets).
  const sendPage = (
    res: AnyResponse,
    ctx: RequestCtx,
    challenge: string,
    spec: ProofSpec,
    waitS: number,
    form: readonly (readonly [string, string])[] | 'lost' | undefined,
  ) => {
    // The client may have left while its form body was read.
    if (res.headersSent || res.writableEnded || (res as ServerResponse).destroyed) return;
    const body = renderPage({
      lang: pickLang(one(ctx.headers['accept-language'])),
      challenge,
      proof: spec,
      waitS,
      back: safeBack(ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`),
      decisionId: ctx.id,
      branding: cfg.branding,
      form,
    });
    writeMade(
      res,
      403,
      `${PAGE_FIELDS}www-authenticate: ${powAuth(challenge, spec)}\r\n${DECISION_HEADER}: ${ctx.id}\r\n`,
      body,
    );
  };

  const sendJson = (res: AnyResponse, ctx: RequestCtx, rule: string, challenge: string, spec: ProofSpec) => {
    const alg =
      spec.alg === 'sha256'
        ? '"sha256-leading-zero-bits"'
        : `"scrypt-leading-zero-bits","scrypt":{"n":${spec.n},"r":${spec.r},"p":${spec.p}}`;
    const body =
      `{"status":401,"error":"Proof of work required.","message_fr":"Preuve de travail requise.","decision_id":"${ctx.id}",` +
      `"rule":${asciiJson(rule)},"challenge":"${challenge}","difficulty":${spec.bits},` +
      `"algorithm":${alg},"verify":"${BASE}verify","proof_header":"${PROOF_HEADER}",` +
      `"clearance_header":"${CLEARANCE_HEADER}","expires_in_s":${cfg.challenge_ttl_s}}`;
    writeMade(
      res,
      401,
      `${JSON_FIELDS}www-authenticate: ${powAuth(challenge, spec)}\r\n${DECISION_HEADER}: ${ctx.id}\r\n`,
      body,
    );
  };

  const renderChallenge: ChallengeRenderer = (res, ctx, v) => {
    const b = binding(ctx);
    const now = nowS();
    const spec = specFor(v.difficulty);
    const exp = now + cfg.challenge_ttl_s;
    // The proof asked is signed with the challenge: the verify endpoint reads it from there, never from the client.
    // An API client gets no no-JS path (not-before 0); a page's challenge also opens /wait after the wait.
    if (isApi(ctx)) return sendJson(res, ctx, v.rule, signer.sign(KIND_CHALLENGE, exp, encodeProof(spec), b), spec);
    const waitS = cfg.nojs_wait_s; // the page says what the challenge signs
    const challenge = signer.sign(KIND_CHALLENGE, exp, encodeProof(spec), b, now + waitS);
    if (ctx.method === 'GET' || ctx.method === 'HEAD') return sendPage(res, ctx, challenge, spec, waitS, undefined);
    const type = one(ctx.headers['content-type']);
    const urlencoded = type.startsWith('application/x-www-form-urlencoded');
    // The server may already have buffered the form (routes whose rules read form fields).
    if (ctx.form !== undefined && urlencoded)
      return sendPage(res, ctx, challenge, spec, waitS, Object.entries(ctx.form));
    // A form post: keep its fields in the page when it is a small urlencoded body still unread; else say how to retry.
    const req = (res as { req?: AnyRequest }).req;
    const len = Number(one(ctx.headers['content-length']) || '0');
    if (ctx.method !== 'POST' || req === undefined || req.readableEnded || !urlencoded || len > cfg.max_form_bytes) {
      return sendPage(res, ctx, challenge, spec, waitS, 'lost');
    }
    void readBody(req, cfg.max_form_bytes, 10_000).then((body) => {
      if (body === undefined) return sendPage(res, ctx, challenge, spec, waitS, 'lost');
      const fields: [string, string][] = [];
      for (const [k, val] of new URLSearchParams(body.toString('utf8'))) fields.push([k, val]);
      sendPage(res, ctx, challenge, spec, waitS, fields);
    });
  };

  const finishProof = (res: AnyResponse, ctx: RequestCtx, c: string, n: string, ms: number, api: boolean) => {
    const b = binding(ctx);
    const now = nowS();
    const t = signer.verify(c, KIND_CHALLENGE, b, now);
    if (!isToken(t)) return writeError(res, ctx, 403, { rule: `challenge/bad-challenge-${t}` });
    const spec = decodeProof(t.aux);
    if (spec === undefined) return writeError(res, ctx, 403, { rule: 'challenge/bad-challenge-proof' });
    if (spec.alg === 'sha256') {
      if (!checkProof(c, n, spec.bits)) return writeError(res, ctx, 403, { rule: 'challenge/bad-proof' });
      if (!nonces.useOnce(t, now)) return writeError(res, ctx, 403, { rule: 'challenge/replay' });
      return grant(res, ctx, b, spec, ms, api);
    }
    // scrypt costs milliseconds: only a genuine, live, unused challenge gets one check, and only a bounded number run
    // at once. Over the bound the challenge is not spent, so the client retries it; past it, a wrong answer spends it.
    if (!isCounter(n)) return writeError(res, ctx, 403, { rule: 'challenge/bad-proof' });
    if (scryptChecks.busy()) return writeError(res, ctx, 503, { rule: 'challenge/verify-busy', retryAfterS: 1 });
    if (!nonces.useOnce(t, now)) return writeError(res, ctx, 403, { rule: 'challenge/replay' });
    const checked = scryptChecks.check(c, n, spec);
    if (checked === 'busy') return writeError(res, ctx, 503, { rule: 'challenge/verify-busy', retryAfterS: 1 });
    void checked.then((ok) => {
      if ((res as ServerResponse).destroyed) return; // the client left during the check
      if (!ok) return writeError(res, ctx, 403, { rule: 'challenge/bad-proof' });
      grant(res, ctx, b, spec, ms, api);
    });
  };

  const grant = (res: AnyResponse, ctx: RequestCtx, b: Binding, spec: ProofSpec, ms: number, api: boolean) => {
    if (ms > 0 && ms < 600_000 && rateKey(spec) === rated) {
      rate.report(spec.bits, ms);
      const next = rate.capBits(cfg.difficulty.max_solve_ms);
      if (next !== cap) {
        cap = next;
        params = paramsOf(cfg, cap);
      }
    }
    const token = issueClearance(b, cfg.clearance.budget);
    const headers: Record<string, string | number> = {
      'set-cookie': cookie(token, ctx),
      'cache-control': 'no-store',
      [CLEARANCE_HEADER]: token,
      [DECISION_HEADER]: ctx.id,
    };
    if (!api) {
      (res as ServerResponse).writeHead(204, headers);
      res.end();
      return;
    }
    const body = `{"clearance":"${token}","expires_in_s":${cfg.clearance.ttl_s},"budget":${cfg.clearance.budget},"decision_id":"${ctx.id}"}`;
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = Buffer.byteLength(body);
    (res as ServerResponse).writeHead(200, headers);
    res.end(body);
  };

  const verify = (req: AnyRequest, res: AnyResponse, ctx: RequestCtx) => {
    if (ctx.method !== 'POST') return writeError(res, ctx, 400, { rule: 'challenge/verify-method' });
    const proof = one(ctx.headers[PROOF_HEADER]);
    if (proof !== '') {
      // "<challenge>:<counter>[:<solve ms>]"
      const [c = '', n = '', ms = '0'] = proof.split(':', 3);
      return finishProof(res, ctx, c, n, Number(ms) || 0, true);
    }
    void readBody(req, 1024, 10_000).then((body) => {
      if (body === undefined) return writeError(res, ctx, 413, { rule: 'challenge/verify-body', close: true });
      const q = new URLSearchParams(body.toString('latin1'));
      finishProof(res, ctx, q.get('c') ?? '', q.get('n') ?? '', Number(q.get('ms')) || 0, isApi(ctx));
    });
  };

  const wait = (res: AnyResponse, ctx: RequestCtx) => {
    const q = new URLSearchParams(ctx.query);
    const back = safeBack(q.get('r'));
    const b = binding(ctx);
    const now = nowS();
    // The page's challenge is the ticket: its signed not-before says when the wait is over, whatever the config
    // says now. Its id is spent in the same ledger as a proof's, so one challenge earns one clearance either way.
    const t = signer.verify(q.get('t') ?? '', KIND_CHALLENGE, b, now);
    if (!isToken(t)) return writeError(res, ctx, 403, { rule: `challenge/nojs-bad-${t}` });
    if (t.nbf === 0) return writeError(res, ctx, 403, { rule: 'challenge/nojs-not-offered' });
    if (now < t.nbf) {
      // Still inside the wait: come back when it is over (the challenge stays unused).
      const again = Math.min(t.nbf - now, 60);
      return writeError(res, ctx, 429, {
        rule: 'challenge/nojs-early',
        retryAfterS: again,
        extraHeaders: { refresh: `${again};url=${BASE}wait?${ctx.query}` },
      });
    }
    if (!nonces.useOnce(t, now)) return writeError(res, ctx, 403, { rule: 'challenge/replay' });
    // 307 makes the browser send a kept POST again, body included, now with the cookie; a GET gets 303.
    (res as ServerResponse).writeHead(ctx.method === 'POST' ? 307 : 303, {
      location: back,
      'set-cookie': cookie(issueClearance(b, nojsBudget()), ctx),
      'cache-control': 'no-store',
      'content-length': 0,
      [DECISION_HEADER]: ctx.id,
    });
    res.end();
  };

  return {
    stage,
    renderChallenge,
    handleChallengeEndpoint(req, res, ctx, deps) {
      if (!ctx.path.startsWith(BASE)) return false;
      // Called before the pipeline: the proof must be checked against the same client identity (trusted
      // X-Forwarded-For included) that the challenge was bound to, so identity runs here when it has not yet.
      if (ctx.client === undefined && deps?.policy?.identity !== undefined) identityStage.run(ctx, deps);
      const sub = ctx.path.slice(BASE.length);
      const a = ASSETS.get(sub);
      if (a !== undefined && (ctx.method === 'GET' || ctx.method === 'HEAD')) writeAsset(res, a, ctx.query);
      else if (sub === 'verify') verify(req, res, ctx);
      else if (sub === 'wait' && (ctx.method === 'GET' || ctx.method === 'POST')) wait(res, ctx);
      else writeError(res, ctx, 404, { rule: 'challenge/no-such-endpoint' });
      return true;
    },
    reconfigure(c) {
      cfg = c;
      setup(c);
    },
    deviceCapBits: () => params.deviceCapBits,
    hasClearance: (ctx) => cfg.enabled && ctx.allowListed !== true && clearanceOf(ctx) === 'valid',
    hasPass: (ctx) => cfg.enabled && ctx.allowListed !== true && passOf(ctx),
    offerPass: (ctx, deps) => (cfg.enabled && deps.snapshot.mode === 'normal' ? pass.offer(ctx, nowS()) : undefined),
  };
}
