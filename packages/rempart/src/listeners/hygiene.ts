import type { Http2ServerRequest } from 'node:http2';
import type { Socket } from 'node:net';
import type { LimitsConfig } from '../config/schema.ts';
import { newDecisionId } from '../core/decision-id.ts';
import type { H1Request } from '../http1/request.ts';
import { isDigits } from '../http1/request-head.ts';
import { rawErrorResponse } from '../pipeline/respond.ts';
import type { AnyRequest } from './types.ts';

// Request hygiene: what Node's parser (llhttp, strict mode) lets through but a gateway in front of an
// older or different parser must still refuse, because two parsers disagreeing on where a request ends
// is how requests get smuggled. Results are preallocated so the clean path allocates nothing.

export interface HygieneProblem {
  readonly status: 400 | 414 | 431 | 501;
  readonly reason: string;
}

const problem = (status: HygieneProblem['status'], reason: string): HygieneProblem => Object.freeze({ status, reason });

export const PROBLEMS = {
  urlTooLong: problem(414, 'url-too-long'),
  tooManyHeaders: problem(431, 'too-many-headers'),
  method: problem(501, 'method-not-supported'),
  connect: problem(400, 'connect-not-allowed'),
  clAndTe: problem(400, 'content-length-with-transfer-encoding'),
  duplicateCl: problem(400, 'duplicate-content-length'),
  badCl: problem(400, 'invalid-content-length'),
  te: problem(501, 'transfer-encoding-not-chunked'),
  headerChars: problem(400, 'invalid-header-characters'),
  absoluteHost: problem(400, 'absolute-uri-host-mismatch'),
  badTarget: problem(400, 'invalid-request-target'),
  missingHost: problem(400, 'missing-host'),
  version: problem(400, 'http-version-not-supported'),
} as const;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

type HygieneLimits = Pick<LimitsConfig, 'max_url_bytes' | 'max_headers'>;

/** HTTP/2 compatibility request (by shape: an HTTP/1 request line may claim version 2.0). */
export function isH2Request(req: AnyRequest): req is Http2ServerRequest {
  return (req as Http2ServerRequest).stream !== undefined;
}

/** Any control character other than horizontal tab (covers obs-fold CR/LF, NUL, DEL). */
function hasBadChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return true;
  }
  return false;
}

function sameHost(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}

/**
 * Header framing checks for requests parsed by Node (HTTP/2, HTTP/1.1 over TLS): one pass over raw headers.
 * The cleartext engine's parser (http1/request-head.ts) refuses all of these itself, except a Transfer-Encoding
 * other than chunked, which it marks on the request.
 */
function checkRawHeaders(req: AnyRequest, h2: boolean, limits: HygieneLimits): HygieneProblem | undefined {
  const raw = req.rawHeaders;
  // HTTP/2 pseudo-headers (:method, :path…) appear in rawHeaders but are not headers the client chose.
  let count = raw.length >> 1;
  if (h2) for (let i = 0; i < raw.length; i += 2) if (raw[i].charCodeAt(0) === 58) count--;
  if (count > limits.max_headers) return PROBLEMS.tooManyHeaders;
  const method = req.method ?? '';
  if (!METHODS.has(method)) return method === 'CONNECT' ? PROBLEMS.connect : PROBLEMS.method;

  let clCount = 0;
  let hasTe = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (hasBadChars(value) || hasBadChars(name)) return PROBLEMS.headerChars;
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      clCount++;
      if (!isDigits(value)) return PROBLEMS.badCl;
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      if (hasTe || value.toLowerCase() !== 'chunked') return PROBLEMS.te;
      hasTe = true;
    }
  }
  if (clCount > 1) return PROBLEMS.duplicateCl;
  if (clCount === 1 && hasTe) return PROBLEMS.clAndTe;
  return undefined;
}

function isOwnEngine(req: AnyRequest): req is H1Request {
  return (req as H1Request).headerCount !== undefined;
}

/** Checks one request against the hygiene rules; undefined when clean. */
export function checkRequest(req: AnyRequest, limits: HygieneLimits): HygieneProblem | undefined {
  const url = req.url ?? '';
  if (url.length > limits.max_url_bytes) return PROBLEMS.urlTooLong;
  const h2 = isH2Request(req);
  if (!h2 && req.httpVersionMajor !== 1) return PROBLEMS.version;
  const method = req.method ?? '';
  if (isOwnEngine(req)) {
    if (req.headerCount > limits.max_headers) return PROBLEMS.tooManyHeaders;
    if (!METHODS.has(method)) return method === 'CONNECT' ? PROBLEMS.connect : PROBLEMS.method;
    if (req.unframedBody) return PROBLEMS.te;
  } else {
    const p = checkRawHeaders(req, h2, limits);
    if (p !== undefined) return p;
  }

  if (h2) return undefined; // :path is always origin-form; :authority was checked by nghttp2.
  // Checked here rather than by Node's requireHostHeader so the answer carries our body and decision id.
  const host = req.headers.host;
  if (host === undefined && req.httpVersionMinor === 1) return PROBLEMS.missingHost;
  const first = url.charCodeAt(0);
  if (first === 47 /* / */) return undefined;
  if (url === '*') return method === 'OPTIONS' ? undefined : PROBLEMS.badTarget;
  // Absolute form: legal, but the authority must agree with Host or caches and routers disagree on the target.
  if (host === undefined) return PROBLEMS.missingHost;
  let rest: string;
  if (url.startsWith('http://')) rest = url.slice(7);
  else if (url.startsWith('https://')) rest = url.slice(8);
  else return PROBLEMS.badTarget;
  let end = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c === 47 || c === 63 || c === 35) {
      end = i;
      break;
    }
  }
  const authority = rest.slice(0, end);
  if (authority.includes('@') || !sameHost(authority, host as string)) return PROBLEMS.absoluteHost;
  return undefined;
}

/** What Node's parser reported, mapped to the status a client should see. */
export function clientErrorStatus(err: NodeJS.ErrnoException): 400 | 408 | 413 | 431 {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    default:
      return 400;
  }
}

/**
 * The clientError handler for HTTP/1 servers: a short 4xx written straight to the socket when nothing
 * has been sent yet, then the socket is closed. Never leaves a half-open parser behind.
 */
export function handleClientError(
  err: NodeJS.ErrnoException,
  socket: Socket,
  log?: (event: string, fields: object) => void,
): void {
  // Resets and broken pipes: the client is gone, there is nobody to answer.
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = clientErrorStatus(err);
  const id = newDecisionId();
  log?.('client_error', { status, code: err.code, decision_id: id, ip: socket.remoteAddress });
  // If a response is already being written (request timed out mid-body), a second status line would be
  // garbage: just cut the connection.
  const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (pending?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(rawErrorResponse(status, id));
  // end() waits for the peer to read; a slowloris may never read, so bound the wait.
  setTimeout(() => socket.destroy(), 1_000).unref();
}
