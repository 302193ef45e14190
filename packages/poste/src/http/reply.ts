// Every response poste writes. Errors are short, bilingual (fr/en), and carry a request id that also
// appears in the logs, so a user can quote it.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Ctx = {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  requestId: string;
  ip: string;
};

export function json(ctx: Ctx, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  ctx.res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-request-id': ctx.requestId,
    ...headers,
  });
  ctx.res.end(text);
}

export function html(ctx: Ctx, status: number, page: string, cacheSeconds = 0): void {
  ctx.res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(page),
    'cache-control': cacheSeconds > 0 ? `public, max-age=${cacheSeconds}` : 'no-store',
    'x-request-id': ctx.requestId,
  });
  ctx.res.end(page);
}

/** A client-visible failure. `code` is stable for programs; fr/en are for people. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fr: string;
  readonly headers: Record<string, string> | undefined;
  constructor(status: number, code: string, fr: string, en: string, headers?: Record<string, string>) {
    super(en);
    this.status = status;
    this.code = code;
    this.fr = fr;
    this.headers = headers;
  }
}

export function fail(ctx: Ctx, err: HttpError): void {
  json(ctx, err.status, { error: err.code, fr: err.fr, en: err.message, requestId: ctx.requestId }, err.headers);
}
