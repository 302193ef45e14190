import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../core/clock.ts';
import { newDecisionId } from '../core/decision-id.ts';
import { normaliseIp } from '../core/ip-prefix.ts';
import type { ClientCert } from './access/decide.ts';
import type { RequestCtx } from './types.ts';

// One RequestCtx per request, made at accept. Cheap by design: the target is split once at the first "?"
// (no URL object, no decoding); stages read plain fields; nothing is computed that a refusal does not use.

/** What newCtx reads from a node:http or node:http2 compat request. */
export interface IncomingLike {
  readonly method?: string;
  readonly url?: string;
  readonly headers: IncomingHttpHeaders;
  readonly httpVersion: string;
}

export interface ConnInfo {
  /** TCP peer, or the address a trusted PROXY protocol header gave. */
  readonly peerIp: string;
  readonly tls: boolean;
  /** The client certificate verified by the listener (tls.client_ca), when there is one. */
  readonly clientCert?: ClientCert;
  /** The connection's TLS handshake facts, hashed (listeners/tls-print.ts). */
  readonly tlsPrint?: number;
}

function versionOf(v: string): RequestCtx['httpVersion'] {
  return v === '2.0' ? '2.0' : v === '1.0' ? '1.0' : '1.1';
}

/** Absolute-form targets ("http://host/p?q") keep only their path and query; hygiene decides if they are allowed. */
function originForm(url: string): string {
  if (url.charCodeAt(0) === 47 /* / */ || url === '*') return url;
  const scheme = url.indexOf('://');
  if (scheme < 0) return url;
  const slash = url.indexOf('/', scheme + 3);
  if (slash >= 0) return url.slice(slash);
  const q = url.indexOf('?', scheme + 3);
  return q >= 0 ? `/${url.slice(q)}` : '/';
}

export function newCtx(req: IncomingLike, info: ConnInfo, clock: Clock): RequestCtx {
  const url = originForm(req.url ?? '/');
  const q = url.indexOf('?');
  // Every field, in one order, from the start: all contexts share one hidden class, so the stages' property
  // reads stay monomorphic and no field written later reshapes the object.
  return {
    id: newDecisionId(),
    startedAt: clock.now(),
    startedMono: clock.mono(),
    method: req.method ?? 'GET',
    path: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? '' : url.slice(q + 1),
    headers: req.headers,
    httpVersion: versionOf(req.httpVersion),
    tls: info.tls,
    peerIp: normaliseIp(info.peerIp),
    clientCert: info.clientCert,
    tlsPrint: info.tlsPrint,
    client: undefined,
    route: undefined,
    routeClass: undefined,
    allowListed: undefined,
    clearance: undefined,
    setCookie: undefined,
    pass: undefined,
    score: undefined,
    form: undefined,
    trace: [],
    stages: undefined,
    stagesRun: 0,
    release: undefined,
    clientGone: undefined,
    cache: undefined,
    detect: undefined,
  };
}

/** The request's host without port, lowercased ("" when absent): HTTP/1 Host or HTTP/2 :authority. */
export function hostOf(headers: IncomingHttpHeaders): string {
  const h = headers.host ?? (headers[':authority'] as string | undefined);
  if (h === undefined || h === '') return '';
  let end = h.length;
  if (h.charCodeAt(0) === 91 /* [ */) {
    const close = h.indexOf(']');
    return (close > 0 ? h.slice(0, close + 1) : h).toLowerCase();
  }
  const colon = h.lastIndexOf(':');
  if (colon >= 0) end = colon;
  return (end === h.length ? h : h.slice(0, end)).toLowerCase();
}
