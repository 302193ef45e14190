import type { Dispatcher } from 'undici';
import type { RequestCtx } from '../types.ts';

// The capture interface between the micro-cache and the upstream: for a cacheable miss only, the cache
// asks for a fully buffered GET (bounded by maxBytes); everything else is streamed by the normal
// upstream path. createOriginFetch is a buffered GET over any dispatcher with undici's contract: the
// upstream's own H1Pool in the gateway (upstreams.ts), an undici Agent in tests.

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
  /** Base URL of the upstream, e.g. "http://127.0.0.1:8080" or with a path prefix (no trailing slash). */
  readonly origin: string;
  /** Anything with undici's dispatch contract: the upstream's H1Pool, or an undici Agent/Pool. */
  readonly dispatcher: Pick<Dispatcher, 'dispatch'>;
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

class TooLargeError extends Error {}

/** One buffered GET as a dispatch handler: collects the body up to maxBytes, then settles its promise. */
class BufferedGet implements Dispatcher.DispatchHandler {
  readonly maxBytes: number;
  readonly resolve: (r: OriginResponse) => void;
  readonly reject: (err: Error) => void;
  status = 0;
  headers: Headers = {};
  chunks: Buffer[] = [];
  bytes = 0;
  tooLarge = false;

  constructor(maxBytes: number, resolve: (r: OriginResponse) => void, reject: (err: Error) => void) {
    this.maxBytes = maxBytes;
    this.resolve = resolve;
    this.reject = reject;
  }

  onRequestStart(): void {
    // Nothing to keep: the controller comes with every later call (undici insists on the method).
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: Headers): void {
    if (status < 200) return; // interim answers are not the response
    this.status = status;
    this.headers = headers;
    if (Number(headers['content-length']) > this.maxBytes) this.overflow(controller);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.tooLarge) return;
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) this.overflow(controller);
    else this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const c = this.chunks;
    // One chunk is the common case: keep it as it came, no copy.
    const body = c.length === 1 ? c[0] : Buffer.concat(c, this.bytes);
    this.resolve({ status: this.status, headers: this.headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.tooLarge) this.resolve({ status: this.status, headers: this.headers, tooLarge: true });
    else this.reject(err);
  }

  private overflow(controller: Dispatcher.DispatchController): void {
    this.tooLarge = true;
    this.chunks = [];
    // Aborting drops the origin socket: cheaper than reading a body nobody will keep.
    controller.abort(new TooLargeError('origin body larger than maxBytes'));
  }
}

export function createOriginFetch(o: OriginFetchOptions): FetchFromOrigin {
  const base = new URL(o.origin);
  const origin = base.origin;
  const prefix = base.pathname === '/' ? '' : base.pathname.replace(/\/$/, '');
  const headersTimeout = o.headersTimeoutMs ?? 15_000;
  const bodyTimeout = o.bodyTimeoutMs ?? 30_000;
  return (ctx, r) => {
    let headers: Record<string, string | string[]> | string[];
    if (o.requestHeaders) headers = o.requestHeaders(ctx);
    else {
      const h = endToEnd(ctx.headers);
      if (ctx.headers[':authority'] !== undefined && h.host === undefined) h.host = String(ctx.headers[':authority']);
      if (o.extraHeaders) Object.assign(h, o.extraHeaders(ctx));
      headers = h;
    }
    const { promise, resolve, reject } = Promise.withResolvers<OriginResponse>();
    const path = prefix + r.path + (r.query ? `?${r.query}` : '');
    const handler = new BufferedGet(r.maxBytes, resolve, reject);
    o.dispatcher.dispatch({ origin, path, method: 'GET', headers, headersTimeout, bodyTimeout }, handler);
    return promise;
  };
}
