import type { RequestCtx, RouteClass, Verdict } from '../pipeline/types.ts';
import { fingerprintHash } from './fingerprint.ts';
import { hex8 } from './hash.ts';
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

type Shape = NonNullable<RequestCtx['detect']>;

/**
 * The last shape computed, with what it was computed from. A flood repeats one shape request after request:
 * handing out the same strings again spares the fingerprint's hex, the key's concatenation, and the hashing
 * of fresh strings in every map keyed on them (the shape and fingerprint sketches). A pure function's memo,
 * so one for the process is right whatever detector asks.
 */
const last = { route: '', method: '', template: '', fpHash: -1, flags: -1, shape: undefined as Shape | undefined };

/** The detection view of a request, computed at most once per request and kept on ctx.detect. */
export function requestShape(ctx: RequestCtx): Shape {
  if (ctx.detect !== undefined) return ctx.detect;
  const headers = ctx.headers;
  const fpHash = fingerprintHash(headers, ctx.httpVersion, ctx.tlsPrint);
  const template = pathTemplate(ctx.path, ctx.query);
  const route = ctx.route?.name ?? '-';
  const flags = (headers.cookie !== undefined ? 1 : 0) | (headers.referer !== undefined ? 2 : 0);
  if (
    last.shape !== undefined &&
    fpHash === last.fpHash &&
    flags === last.flags &&
    route === last.route &&
    ctx.method === last.method &&
    template === last.template
  ) {
    ctx.detect = last.shape;
    return last.shape;
  }
  const fp = hex8(fpHash);
  const shape: Shape = Object.freeze({
    fingerprint: fp,
    template,
    shapeKey: shapeKey(route, ctx.method, template, fp, (flags & 1) !== 0, (flags & 2) !== 0),
  });
  last.route = route;
  last.method = ctx.method;
  last.template = template;
  last.fpHash = fpHash;
  last.flags = flags;
  last.shape = shape;
  ctx.detect = shape;
  return shape;
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
