import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { CODES, UpstreamError } from './h1-errors.ts';
import { HeadBytes } from './h1-head-bytes.ts';
import { parseLength } from './h1-header-fields.ts';

// Turns dispatch options into the request head (bytes, written with one socket.write) and the body framing:
// none, a Buffer with its length, or a stream sent as it comes (raw under the client's Content-Length,
// otherwise chunked and framed by the connection). Names and values are checked as they are copied, so
// nothing a caller passes can split the head.

export const BODY_NONE = 0;
export const BODY_BUFFER = 1;
export const BODY_STREAM = 2;
export const BODY_CHUNKED = 3;

export interface PreparedRequest {
  head: Buffer | null;
  bodyKind: number;
  /** Declared length of a streamed body (BODY_STREAM). */
  bodyLength: number;
  bodyBuffer: Buffer | null;
  bodyStream: Readable | null;
}

/** Connection-level headers the client sets itself (hop-by-hop.ts already strips them from forwarded ones). */
const REFUSED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']);
const WITH_PAYLOAD = new Set(['POST', 'PUT', 'PATCH', 'QUERY']);
/** Room for what we may add: host, content-length or transfer-encoding, the final CRLF. */
const EXTRA_BYTES = 64;

function invalid(message: string): UpstreamError {
  return new UpstreamError(CODES.invalidArg, message);
}

/** prepareRequest runs to completion synchronously, so one writer and one scratch state serve every request. */
const w = new HeadBytes();
let sawHost = false;
let declared = -1;

function field(name: string, value: string): void {
  const kind = w.token(name);
  if (kind < 0) throw invalid(`invalid header name "${name}"`);
  w.byte(58);
  w.byte(32);
  if (!w.value(value)) throw invalid(`invalid value for header ${name}`);
  w.byte(13);
  w.byte(10);
  const lower = kind === 0 ? name : name.toLowerCase();
  const n = lower.length;
  if (n === 4 && lower === 'host') sawHost = true;
  else if (n === 14 && lower === 'content-length') {
    const len = parseLength(value);
    if (len < 0 || (declared >= 0 && declared !== len)) throw invalid('invalid content-length');
    if (declared >= 0) w.back(n + value.length + 4); // an identical repeat is sent once
    declared = len;
  } else if (REFUSED.has(lower)) throw invalid(`header ${lower} is set by the client, not the caller`);
}

/** The flat [name, value, …] list as buildRequestHeaders makes it, or an object turned into one (rare). */
function flat(headers: Dispatcher.DispatchOptions['headers']): unknown[] {
  if (headers == null) return [];
  if (Array.isArray(headers)) return headers;
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') throw invalid('iterable headers');
  const out: unknown[] = [];
  const h = headers as Record<string, string | string[] | undefined>;
  for (const name in h) {
    const v = h[name];
    if (v === undefined) continue;
    if (typeof v === 'string') out.push(name, v);
    else for (const one of v) out.push(name, one);
  }
  return out;
}

function path(p: string): void {
  const c0 = p.charCodeAt(0);
  if (c0 !== 47 /* / */ && !(c0 === 42 /* * */ && p.length === 1)) throw invalid('path must start with /');
  for (let i = 1; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c <= 32 || c >= 127) throw invalid('invalid character in path');
  }
  w.text(p);
}

/** Fills `out` from `opts`; throws UND_ERR_INVALID_ARG / UND_ERR_REQ_CONTENT_LENGTH_MISMATCH. */
export function prepareRequest(out: PreparedRequest, opts: Dispatcher.DispatchOptions, defaultHost: string): void {
  const method = opts.method;
  if (typeof opts.path !== 'string' || typeof method !== 'string') throw invalid('path and method must be strings');
  if (method === 'CONNECT' || opts.upgrade) throw invalid('CONNECT and upgrades are not supported');
  let h = flat(opts.headers);
  if (h.length % 2 !== 0) throw invalid('header list of odd length');
  let bound = method.length + opts.path.length + defaultHost.length + EXTRA_BYTES;
  for (let i = 0; i < h.length; i++) {
    const x = h[i];
    if (typeof x !== 'string') {
      h = h.map(String); // numbers and the like, never the caller's array changed
      bound += String(x).length + 2;
    } else bound += x.length + 2;
  }
  w.begin(bound);
  if (w.token(method) < 0) throw invalid('invalid method');
  w.byte(32);
  path(opts.path);
  w.text(' HTTP/1.1\r\n');
  sawHost = false;
  declared = -1;
  for (let i = 0; i < h.length; i += 2) field(h[i] as string, h[i + 1] as string);
  if (!sawHost) {
    w.text('host: ');
    w.text(defaultHost);
    w.text('\r\n');
  }
  let body = opts.body;
  if (typeof body === 'string') body = Buffer.from(body);
  out.bodyBuffer = null;
  out.bodyStream = null;
  out.bodyLength = declared;
  if (body == null) {
    if (declared > 0) throw new UpstreamError(CODES.requestLength, 'content-length without a body');
    if (declared < 0 && WITH_PAYLOAD.has(method)) w.text('content-length: 0\r\n');
    out.bodyKind = BODY_NONE;
  } else if (body instanceof Uint8Array) {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (declared >= 0 && declared !== buf.length)
      throw new UpstreamError(CODES.requestLength, 'content-length differs from the body size');
    if (declared < 0) w.text(`content-length: ${buf.length}\r\n`);
    out.bodyKind = buf.length === 0 ? BODY_NONE : BODY_BUFFER;
    out.bodyBuffer = buf;
  } else if (typeof (body as Readable).on === 'function' && typeof (body as Readable).pause === 'function') {
    out.bodyStream = body as Readable;
    if (declared >= 0) out.bodyKind = BODY_STREAM;
    else {
      out.bodyKind = BODY_CHUNKED;
      w.text('transfer-encoding: chunked\r\n');
    }
  } else throw invalid('body must be a Buffer, a string or a Readable');
  w.text('\r\n');
  out.head = w.finish();
}
