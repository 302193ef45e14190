import { readCookie } from '../../core/cookie.ts';
import type { RequestCtx } from '../types.ts';
import type { ChallengeConfig } from './config.ts';
import { type Binding, KIND_PASS, type Signer, TOKEN_CHARS, type TokenLedger } from './token.ts';
import type { VerifiedTokens } from './verified-tokens.ts';

// The visitor pass: the priority lane for people who came before the attack. In normal mode, a browser's page
// load that the gateway serves gets a signed cookie bound to the client's prefix and User-Agent. Once the mode
// leaves normal no pass is handed out, so only clients seen in peacetime hold one, and a flood that keeps no
// cookies never does. A live pass spares its holder the mode's class-wide challenges and bulk shedding (counted
// against its budget); score-based challenges, rate limits, admission limits and per-shape actions still apply
// to it, so a harvested pass buys a bot little.

export class VisitorPass {
  #cfg!: ChallengeConfig['pass'];
  #secure = true;
  #key = '';
  #signer!: Signer;
  #spent!: TokenLedger;
  readonly #verified: VerifiedTokens;
  readonly #binding: (ctx: RequestCtx) => Binding;

  /** `verified` is the challenge module's cache (clearances and passes, told apart by kind), cleared on key change. */
  constructor(binding: (ctx: RequestCtx) => Binding, verified: VerifiedTokens) {
    this.#binding = binding;
    this.#verified = verified;
  }

  /** On start and reload. */
  configure(c: ChallengeConfig, signer: Signer, spent: TokenLedger): void {
    this.#cfg = c.pass;
    this.#secure = c.clearance.secure;
    this.#key = `${c.pass.cookie}=`;
    this.#signer = signer;
    this.#spent = spent;
  }

  /** The Set-Cookie giving this client a pass: a page load in normal mode without a valid one; else undefined. */
  offer(ctx: RequestCtx, nowS: number): string | undefined {
    const c = this.#cfg;
    if (!c.enabled || ctx.method !== 'GET' || ctx.allowListed === true) return undefined;
    const accept = ctx.headers.accept;
    if (accept === undefined || !accept.includes('text/html')) return undefined;
    // A live pass is kept; one the keys no longer accept (restart without a configured secret, rotation) or bound
    // to another network (a phone that moved) is replaced, so it is valid when an attack comes. Not spent here.
    const held = readCookie(ctx.headers.cookie, this.#key);
    const b = this.#binding(ctx);
    if (held !== undefined && held.length === TOKEN_CHARS) {
      if (this.#verified.check(this.#signer, held, KIND_PASS, b, nowS) !== undefined) return undefined;
    }
    const token = this.#signer.sign(KIND_PASS, nowS + c.ttl_s, c.budget, b);
    return `${this.#key}${token}; Path=/; Max-Age=${c.ttl_s}; HttpOnly; SameSite=Lax${this.#secure || ctx.tls ? '; Secure' : ''}`;
  }

  /** The request carries a live pass bound to this client with budget left; spends one request of it. */
  holds(ctx: RequestCtx, nowS: number): boolean {
    if (!this.#cfg.enabled) return false;
    const t = readCookie(ctx.headers.cookie, this.#key);
    if (t === undefined || t.length !== TOKEN_CHARS) return false;
    const token = this.#verified.check(this.#signer, t, KIND_PASS, this.#binding(ctx), nowS);
    return token !== undefined && this.#spent.spend(token, token.aux, nowS);
  }
}
