import type { RequestCtx, RouteClass, Verdict } from '../pipeline/types.ts';
import { fingerprint } from './fingerprint.ts';
import { pathTemplate } from './path-template.ts';
import { shapeKey } from './shape.ts';

// What the server tells the detector about each finished request: plain values, no request object,
// so observe() can be tested from a trace and never keeps a reference to a request. The server's path fills
// one scratch object per detector (Detector.observeRequest) rather than making one per request.

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

/** Facts for observe() from a finished request, as a new object (tests, benches). */
export function factsFromCtx(
  ctx: RequestCtx,
  verdict: Verdict['kind'],
  status: number,
  upstreamMs: number,
): ObserveFacts {
  return fillFacts(emptyFacts(), ctx, verdict, status, upstreamMs);
}

/** Facts with every field present (one shape), to be filled by fillFacts(). */
export function emptyFacts(): ObserveFacts {
  return {
    ip: '',
    prefix: '',
    method: '',
    path: '',
    query: '',
    route: '-',
    routeClass: 'normal',
    verdict: 'pass',
    status: 0,
    upstreamMs: -1,
    fingerprint: '',
    hasCookie: false,
    hasReferer: false,
    ua: '',
    template: undefined,
    shapeKey: undefined,
  };
}

/** Writes a finished request's facts into f (a scratch object reused across requests) and returns it. */
export function fillFacts(
  f: ObserveFacts,
  ctx: RequestCtx,
  verdict: Verdict['kind'],
  status: number,
  upstreamMs: number,
): ObserveFacts {
  const d = requestShape(ctx);
  const headers = ctx.headers;
  f.ip = ctx.client?.ip ?? ctx.peerIp;
  f.prefix = ctx.client?.prefix ?? ctx.peerIp;
  f.method = ctx.method;
  f.path = ctx.path;
  f.query = ctx.query;
  f.route = ctx.route?.name ?? '-';
  f.routeClass = ctx.routeClass ?? ctx.route?.routeClass ?? 'normal';
  f.verdict = verdict;
  f.status = status;
  f.upstreamMs = upstreamMs;
  f.fingerprint = d.fingerprint;
  f.hasCookie = headers.cookie !== undefined;
  f.hasReferer = headers.referer !== undefined;
  f.ua = headers['user-agent'] ?? '';
  f.template = d.template;
  f.shapeKey = d.shapeKey;
  return f;
}
