import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { CODES, UpstreamError } from './h1-errors.ts';
import { parseLength, tokenCase, valueKind } from './h1-header-fields.ts';

// Turns dispatch options into the request head (one latin1 string, written with one socket.write) and the
// body framing: none, a Buffer with its length, or a stream sent as it comes (raw under the client's
// Content-Length, otherwise chunked and framed by the connection). Names and values are checked so nothing
// a caller passes can split the head.

export const BODY_NONE = 0;
export const BODY_BUFFER = 1;
export const BODY_STREAM = 2;
export const BODY_CHUNKED = 3;

export interface PreparedRequest {
  head: string;
  bodyKind: number;
  /** Declared length of a streamed body (BODY_STREAM). */
  bodyLength: number;
  bodyBuffer: Buffer | null;
  bodyStream: Readable | null;
}

/** Connection-level headers the client sets itself (hop-by-hop.ts already strips them from forwarded ones). */
const REFUSED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']);
const WITH_PAYLOAD = new Set(['POST', 'PUT', 'PATCH', 'QUERY']);

function invalid(message: string): UpstreamError {
  return new UpstreamError(CODES.invalidArg, message);
}

interface HeadState {
  head: string;
  host: boolean;
  length: number;
}

/** prepareRequest runs to completion synchronously, so one scratch state serves every request. */
const st: HeadState = { head: '', host: false, length: -1 };

function addField(st: HeadState, rawName: string, value: unknown): void {
  const kind = tokenCase(rawName, 0, rawName.length);
  if (kind < 0) throw invalid(`invalid header name "${rawName}"`);
  const name = kind === 0 ? rawName : rawName.toLowerCase();
  const v = typeof value === 'string' ? value : String(value);
  if (valueKind(v, 0, v.length) < 0) throw invalid(`invalid value for header ${name}`);
  const n = name.length;
  if (n === 4 && name === 'host') st.host = true;
  else if (n === 14 && name === 'content-length') {
    const len = parseLength(v);
    if (len < 0 || (st.length >= 0 && st.length !== len)) throw invalid('invalid content-length');
    if (st.length >= 0) return;
    st.length = len;
  } else if (REFUSED.has(name)) throw invalid(`header ${name} is set by the client, not the caller`);
  st.head += rawName + ': ' + v + '\r\n';
}

function addHeaders(st: HeadState, headers: Dispatcher.DispatchOptions['headers']): void {
  if (headers == null) return;
  if (Array.isArray(headers)) {
    if (headers.length % 2 !== 0) throw invalid('header list of odd length');
    for (let i = 0; i < headers.length; i += 2) addField(st, headers[i], headers[i + 1]);
    return;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') throw invalid('iterable headers');
  const h = headers as Record<string, string | string[] | undefined>;
  for (const name in h) {
    const v = h[name];
    if (v === undefined) continue;
    if (typeof v === 'string') addField(st, name, v);
    else for (const one of v) addField(st, name, one);
  }
}

function checkPath(path: string): void {
  const c0 = path.charCodeAt(0);
  if (c0 !== 47 /* / */ && !(c0 === 42 /* * */ && path.length === 1)) throw invalid('path must start with /');
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 32 || c >= 127) throw invalid('invalid character in path');
  }
}

/** Fills `out` from `opts`; throws UND_ERR_INVALID_ARG / UND_ERR_REQ_CONTENT_LENGTH_MISMATCH. */
export function prepareRequest(out: PreparedRequest, opts: Dispatcher.DispatchOptions, defaultHost: string): void {
  const method = opts.method;
  if (typeof method !== 'string' || tokenCase(method, 0, method.length) < 0) throw invalid('invalid method');
  if (method === 'CONNECT') throw invalid('CONNECT is not supported');
  if (typeof opts.path !== 'string') throw invalid('path must be a string');
  checkPath(opts.path);
  if (opts.upgrade) throw invalid('upgrade is not supported');
  st.head = method + ' ' + opts.path + ' HTTP/1.1\r\n';
  st.host = false;
  st.length = -1;
  addHeaders(st, opts.headers);
  if (!st.host) st.head += 'host: ' + defaultHost + '\r\n';
  let body = opts.body;
  if (typeof body === 'string') body = Buffer.from(body);
  out.bodyBuffer = null;
  out.bodyStream = null;
  out.bodyLength = st.length;
  if (body == null) {
    if (st.length > 0) throw new UpstreamError(CODES.requestLength, 'content-length without a body');
    if (st.length < 0 && WITH_PAYLOAD.has(method)) st.head += 'content-length: 0\r\n';
    out.bodyKind = BODY_NONE;
  } else if (body instanceof Uint8Array) {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (st.length >= 0 && st.length !== buf.length)
      throw new UpstreamError(CODES.requestLength, 'content-length differs from the body size');
    if (st.length < 0) st.head += 'content-length: ' + buf.length + '\r\n';
    out.bodyKind = buf.length === 0 ? BODY_NONE : BODY_BUFFER;
    out.bodyBuffer = buf;
  } else if (typeof (body as Readable).on === 'function' && typeof (body as Readable).pause === 'function') {
    out.bodyStream = body as Readable;
    if (st.length >= 0) out.bodyKind = BODY_STREAM;
    else {
      out.bodyKind = BODY_CHUNKED;
      st.head += 'transfer-encoding: chunked\r\n';
    }
  } else throw invalid('body must be a Buffer, a string or a Readable');
  out.head = st.head + '\r\n';
  st.head = '';
}
