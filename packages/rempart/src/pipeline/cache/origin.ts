import { type Dispatcher, request } from 'undici';
import type { RequestCtx } from '../types.ts';

// The capture interface between the micro-cache and the upstream: for a cacheable miss only, the cache
// asks for a fully buffered GET (bounded by maxBytes); everything else is streamed by the normal
// upstream path. createOriginFetch is a plain undici implementation; the lead may pass any function of
// the same type that goes through the upstream pool (breaker, health, retries).

export type Headers = Record<string, string | string[] | undefined>;

export interface OriginResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Absent when the body exceeded maxBytes (tooLarge): the cache then lets the request bypass it. */
  readonly body?: Buffer;
  readonly tooLarge?: boolean;
}

export interface OriginFetchRequest {
  readonly method: 'GET';
  /** Path as received, and the normalised query (unknown parameters dropped): what the origin must see. */
  readonly path: string;
  readonly query: string;
  readonly maxBytes: number;
}

/** Resolves with the origin's response (any status); rejects only when no response came (connect error, timeout). */
export type FetchFromOrigin = (ctx: RequestCtx, r: OriginFetchRequest) => Promise<OriginResponse>;

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'content-length',
  'http2-settings',
]);

/** Headers safe to copy from one hop to the next (no hop-by-hop, no HTTP/2 pseudo-headers). */
export function endToEnd(h: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in h) {
    const v = h[name];
    if (v === undefined || name.charCodeAt(0) === 58 /* : */ || HOP_BY_HOP.has(name)) continue;
    out[name] = v;
  }
  return out;
}

export interface OriginFetchOptions {
  /** Base URL of the upstream, e.g. "http://127.0.0.1:8080" (no trailing slash). */
  readonly origin: string;
  readonly dispatcher?: Dispatcher;
  readonly headersTimeoutMs?: number;
  readonly bodyTimeoutMs?: number;
  /** Extra request headers (X-Forwarded-For and the like), computed by the caller. */
  readonly extraHeaders?: (ctx: RequestCtx) => Record<string, string>;
  /**
   * Replaces the default header copy entirely: e.g. the upstream module's buildRequestHeaders (flat
   * [name, value, ...] list with Forwarded/X-Request-Id), so cached misses carry the same headers as forwards.
   */
  readonly requestHeaders?: (ctx: RequestCtx) => Record<string, string | string[]> | string[];
}

export function createOriginFetch(o: OriginFetchOptions): FetchFromOrigin {
  return async (ctx, r) => {
    let headers: Record<string, string | string[]> | string[];
    if (o.requestHeaders) headers = o.requestHeaders(ctx);
    else {
      const h = endToEnd(ctx.headers);
      if (ctx.headers[':authority'] !== undefined && h.host === undefined) h.host = String(ctx.headers[':authority']);
      if (o.extraHeaders) Object.assign(h, o.extraHeaders(ctx));
      headers = h;
    }
    const res = await request(`${o.origin}${r.path}${r.query ? `?${r.query}` : ''}`, {
      method: 'GET',
      headers,
      dispatcher: o.dispatcher,
      headersTimeout: o.headersTimeoutMs ?? 15_000,
      bodyTimeout: o.bodyTimeoutMs ?? 30_000,
    });
    const declared = Number(res.headers['content-length']);
    if (declared > r.maxBytes) {
      res.body.destroy();
      return { status: res.statusCode, headers: res.headers, tooLarge: true };
    }
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const chunk of res.body) {
      n += chunk.length;
      if (n > r.maxBytes) {
        res.body.destroy();
        return { status: res.statusCode, headers: res.headers, tooLarge: true };
      }
      chunks.push(chunk);
    }
    return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks, n) };
  };
}
