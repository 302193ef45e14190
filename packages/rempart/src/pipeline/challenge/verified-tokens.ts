import { type Binding, isToken, type Signer, type Token } from './token.ts';

// A browser sends the same cookie on every request: remember tokens already verified, with the binding they were
// verified against, so a repeat costs a map lookup instead of an HMAC. Bounded (oldest dropped first); cleared
// when the keys change, so a retired key stops working at once.

export class VerifiedTokens {
  readonly #map = new Map<string, { prefix: string; userAgent: string; token: Token }>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** The token when it is genuine, of this kind, bound to b and alive at nowS; undefined otherwise. */
  check(signer: Signer, t: string, kind: Token['kind'], b: Binding, nowS: number): Token | undefined {
    const hit = this.#map.get(t);
    if (hit !== undefined && hit.token.kind === kind && hit.prefix === b.prefix && hit.userAgent === b.userAgent) {
      return hit.token.exp > nowS ? hit.token : undefined;
    }
    const r = signer.verify(t, kind, b, nowS);
    if (!isToken(r)) return undefined;
    if (this.#map.size >= this.#capacity) this.#map.delete(this.#map.keys().next().value as string);
    this.#map.set(t, { prefix: b.prefix, userAgent: b.userAgent, token: r });
    return r;
  }

  clear(): void {
    this.#map.clear();
  }

  get size(): number {
    return this.#map.size;
  }
}
