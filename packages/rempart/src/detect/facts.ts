import type { RequestCtx, RouteClass, Verdict } from '../pipeline/types.ts';
import { fingerprint } from './fingerprint.ts';
import { pathTemplate } from './path-template.ts';
import { shapeKey } from './shape.ts';

// What the server tells the detector about each finished request: plain values, no request object,
// so observe() can be tested from a trace and never keeps a reference to a request.

export interface ObserveFacts {
  ip: string;
  prefix: string;
  method: string;
  path: string;
  /** Raw query string without "?", or "". */
  query: string;
  /** Matched route name ("-" when none). */
  route: string;
  routeClass: RouteClass;
  verdict: Verdict['kind'];
  /** Status sent to the client (0 when the connection died first). */
  status: number;
  /** Origin time in ms, or -1 when the request was not forwarded (rejected, served from cache). */
  upstreamMs: number;
  /** Fingerprint (detect/fingerprint.ts) as 8 hex digits. */
  fingerprint: string;
  hasCookie: boolean;
  hasReferer: boolean;
  ua: string;
  /** Filled when a stage already computed them for this request (ctx.detect). */
  template?: string;
  shapeKey?: string;
}

/** The detection view of a request, computed at most once per request and kept on ctx.detect. */
export function requestShape(ctx: RequestCtx): NonNullable<RequestCtx['detect']> {
  if (ctx.detect !== undefined) return ctx.detect;
  const fp = fingerprint(ctx.headers, ctx.httpVersion, ctx.tlsPrint);
  const template = pathTemplate(ctx.path, ctx.query);
  const key = shapeKey(
    ctx.route?.name ?? '-',
    ctx.method,
    template,
    fp,
    ctx.headers.cookie !== undefined,
    ctx.headers.referer !== undefined,
  );
  ctx.detect = { fingerprint: fp, template, shapeKey: key };
  return ctx.detect;
}

/** Facts for observe() from a finished request; the server calls it once per request, after the response. */
export function factsFromCtx(
  ctx: RequestCtx,
  verdict: Verdict['kind'],
  status: number,
  upstreamMs: number,
): ObserveFacts {
  const d = requestShape(ctx);
  const ua = ctx.headers['user-agent'];
  return {
    ip: ctx.client?.ip ?? ctx.peerIp,
    prefix: ctx.client?.prefix ?? ctx.peerIp,
    method: ctx.method,
    path: ctx.path,
    query: ctx.query,
    route: ctx.route?.name ?? '-',
    routeClass: ctx.routeClass ?? ctx.route?.routeClass ?? 'normal',
    verdict,
    status,
    upstreamMs,
    fingerprint: d.fingerprint,
    hasCookie: ctx.headers.cookie !== undefined,
    hasReferer: ctx.headers.referer !== undefined,
    ua: ua ?? '',
    template: d.template,
    shapeKey: d.shapeKey,
  };
}
