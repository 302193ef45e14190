import type { IncomingHttpHeaders } from 'node:http';
import { knownName, METHODS, SINGLE, TARGET, TCHAR, VCHAR } from './head-tables.ts';

// The HTTP/1.1 request head parser of the cleartext listener: one pass over the bytes of a complete head
// (request line, header fields, empty line), strict where two parsers could disagree about where a request
// ends (RFC 9112 §2.2, §5, §6.3): CRLF only, no obs-fold, no whitespace before the colon, no control characters,
// one Content-Length of digits, Transfer-Encoding never next to Content-Length. Names and values are decoded as
// latin1 like Node's parser; the header object follows IncomingMessage's rules for duplicates.
// Policy checks that do not decide framing (methods, Host, target forms, sizes) stay in listeners/hygiene.ts.

/** How the body of a request is delimited. `unframed`: a Transfer-Encoding other than chunked; hygiene refuses it. */
export type BodyFraming = 'none' | 'length' | 'chunked' | 'unframed';

export interface RequestHead {
  method: string;
  /** Request target exactly as sent (latin1). */
  url: string;
  /** 0 for an HTTP/0.9-style request line without a version (hygiene refuses it), else 1 or 2. */
  versionMajor: number;
  versionMinor: number;
  headers: IncomingHttpHeaders;
  /** Number of header fields (repeated names counted each time). */
  headerCount: number;
  framing: BodyFraming;
  /** Declared Content-Length when framing is 'length'. */
  contentLength: number;
  /** The client asked for a persistent connection (1.1 without close, or 1.0 with keep-alive). */
  keepAlive: boolean;
  /** `Expect: 100-continue` was sent. */
  expectContinue: boolean;
  /** An Expect other than 100-continue (answered 417). */
  expectOther: boolean;
}

/** A head the parser refuses: status for the client and a stable reason (rule `parser/<reason>`). */
export interface HeadError {
  readonly status: 400 | 413 | 417 | 431 | 501;
  readonly reason: string;
}

/** A refusal of the parsers (head or body framing), frozen: the same object is reused for every request. */
export const headError = (status: HeadError['status'], reason: string): HeadError => Object.freeze({ status, reason });

export const HEAD_ERRORS = {
  requestLine: headError(400, 'invalid-request-line'),
  connect: headError(400, 'connect-not-allowed'),
  method: headError(400, 'unknown-method'),
  target: headError(400, 'invalid-request-target'),
  version: headError(400, 'http-version-not-supported'),
  lineEnding: headError(400, 'bare-lf'),
  headerName: headError(400, 'invalid-header-name'),
  headerValue: headError(400, 'invalid-header-characters'),
  obsFold: headError(400, 'obs-fold'),
  badCl: headError(400, 'invalid-content-length'),
  duplicateCl: headError(400, 'duplicate-content-length'),
  clAndTe: headError(400, 'content-length-with-transfer-encoding'),
  teTwice: headError(400, 'transfer-encoding-repeated'),
  tooLarge: headError(431, 'header-too-large'),
} as const;

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;

/** A Content-Length value: digits only, at most 15 of them (exact in a double). */
export function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 15) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Case-insensitive token test on a Connection value ("close", "keep-alive"). */
function connectionHas(v: string, token: string): boolean {
  const lower = v.toLowerCase();
  if (lower === token) return true;
  for (const part of lower.split(',')) if (part.trim() === token) return true;
  return false;
}

/**
 * Where the head that starts at `start` ends (index just past the empty line), -1 when more bytes are needed,
 * or an error: a bare LF (never followed by the CRLF that would end the head) or a head over `maxBytes`.
 * `from` lets a caller resume the search in a growing buffer.
 */
export function findHeadEnd(
  buf: Buffer,
  start: number,
  end: number,
  from: number,
  maxBytes: number,
): number | HeadError {
  let i = Math.max(from, start);
  while (true) {
    const lf = buf.indexOf(LF, i);
    if (lf < 0 || lf >= end) break;
    if (lf === start || buf[lf - 1] !== CR) return HEAD_ERRORS.lineEnding;
    // CRLF CRLF: the empty line that ends the head.
    if (lf - start >= 3 && buf[lf - 2] === LF) {
      if (lf + 1 - start > maxBytes) return HEAD_ERRORS.tooLarge;
      return lf + 1;
    }
    i = lf + 1;
  }
  return end - start > maxBytes ? HEAD_ERRORS.tooLarge : -1;
}

/** Longest method token accepted. */
const MAX_METHOD = 16;

/**
 * Early refusal of a head that cannot become a request line, so that garbage (a TLS ClientHello on the
 * cleartext port, binary noise) is answered at once rather than after the header timeout.
 */
export function checkPartialHead(buf: Buffer, start: number, end: number): HeadError | undefined {
  let i = start;
  const stop = Math.min(end, start + MAX_METHOD + 1);
  while (i < stop && TCHAR[buf[i]] !== 0) i++;
  if (i === stop) return i - start > MAX_METHOD ? HEAD_ERRORS.method : undefined;
  return buf[i] === SP && i > start ? undefined : HEAD_ERRORS.requestLine;
}

/** Parses the complete head in buf[start, end) (end just past the final CRLF). */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead | HeadError {
  // One native decode for the whole head; names and values are then substrings of it (latin1: one char per
  // byte, so byte offsets are string offsets). A native call per field cost ~50 ns each.
  const text = buf.toString('latin1', start, end);
  // Request line: method SP request-target SP HTTP-version CRLF.
  let i = start;
  while (i < end && TCHAR[buf[i]] !== 0) i++;
  if (i === start || buf[i] !== SP) return HEAD_ERRORS.requestLine;
  const method =
    i - start === 3 && buf[start] === 71 && buf[start + 1] === 69 && buf[start + 2] === 84
      ? 'GET'
      : METHODS.get(text.slice(0, i - start));
  if (method === undefined) return HEAD_ERRORS.method;
  // A gateway is no tunnel: CONNECT is refused here, before its authority-form target is even read.
  if (method === 'CONNECT') return HEAD_ERRORS.connect;
  const targetStart = ++i;
  while (i < end && TARGET[buf[i]] !== 0) i++;
  if (i === targetStart) return HEAD_ERRORS.target;
  const url = text.slice(targetStart - start, i - start);
  let versionMajor = 0;
  let versionMinor = 9;
  if (buf[i] === SP) {
    // "HTTP/" DIGIT "." DIGIT
    if (
      end - i < 11 ||
      buf[i + 1] !== 72 ||
      buf[i + 2] !== 84 ||
      buf[i + 3] !== 84 ||
      buf[i + 4] !== 80 ||
      buf[i + 5] !== 47 ||
      buf[i + 7] !== 46
    )
      return HEAD_ERRORS.requestLine;
    versionMajor = buf[i + 6] - 48;
    versionMinor = buf[i + 8] - 48;
    if (versionMajor < 0 || versionMajor > 9 || versionMinor < 0 || versionMinor > 9) return HEAD_ERRORS.requestLine;
    // HTTP/1.2 and the like: no such version. 2.0 on this port is answered by hygiene (400 as well).
    if (versionMajor === 1 && versionMinor > 1) return HEAD_ERRORS.version;
    if (versionMajor !== 1 && versionMajor !== 2) return HEAD_ERRORS.version;
    i += 9;
  } else if (buf[i] !== CR) return HEAD_ERRORS.target;
  if (buf[i] !== CR || buf[i + 1] !== LF) return HEAD_ERRORS.requestLine;
  i += 2;

  const headers: IncomingHttpHeaders = {};
  let count = 0;
  let clCount = 0;
  let contentLength = 0;
  let te: string | undefined;
  let teCount = 0;
  let connection: string | undefined;
  let expect: string | undefined;
  const last = end - 2; // the empty line's CRLF
  while (i < last) {
    const nameStart = i;
    let upper = 0;
    let t = TCHAR[buf[i]];
    while (t !== 0) {
      upper |= t;
      t = TCHAR[buf[++i]];
    }
    if (i === nameStart) return buf[i] === SP || buf[i] === HT ? HEAD_ERRORS.obsFold : HEAD_ERRORS.headerName;
    if (buf[i] !== COLON) return HEAD_ERRORS.headerName;
    const nameEnd = i++;
    while (buf[i] === SP || buf[i] === HT) i++;
    const valueStart = i;
    while (VCHAR[buf[i]] !== 0) i++;
    if (buf[i] !== CR || buf[i + 1] !== LF) return HEAD_ERRORS.headerValue;
    let valueEnd = i;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HT)) valueEnd--;
    i += 2;
    count++;
    let name = knownName(buf, nameStart, nameEnd);
    if (name === undefined) {
      name = text.slice(nameStart - start, nameEnd - start);
      if ((upper & 2) !== 0) name = name.toLowerCase();
    }
    const value = text.slice(valueStart - start, valueEnd - start);
    switch (name) {
      case 'content-length':
        clCount++;
        if (clCount > 1) return HEAD_ERRORS.duplicateCl;
        if (!isDigits(value)) return HEAD_ERRORS.badCl;
        contentLength = Number(value);
        break;
      case 'transfer-encoding':
        teCount++;
        te = value;
        break;
      case 'connection':
        connection = connection === undefined ? value : `${connection}, ${value}`;
        break;
      case 'expect':
        expect = value;
        break;
    }
    const had = headers[name];
    if (had === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (name === 'set-cookie') (had as string[]).push(value);
    else if (!SINGLE.has(name)) headers[name] = `${had}${name === 'cookie' ? '; ' : ', '}${value}`;
  }

  let framing: BodyFraming = 'none';
  if (teCount > 0) {
    if (clCount > 0) return HEAD_ERRORS.clAndTe;
    if (teCount > 1) return HEAD_ERRORS.teTwice;
    framing = (te as string).toLowerCase() === 'chunked' ? 'chunked' : 'unframed';
  } else if (clCount > 0 && contentLength > 0) framing = 'length';

  let keepAlive = versionMajor === 1 && versionMinor === 1;
  if (connection !== undefined) {
    if (connectionHas(connection, 'close')) keepAlive = false;
    else if (versionMajor === 1 && versionMinor === 0 && connectionHas(connection, 'keep-alive')) keepAlive = true;
  }
  // A body we cannot delimit leaves the connection unusable after the answer.
  if (framing === 'unframed') keepAlive = false;
  const expectLower = expect?.toLowerCase();
  return {
    method,
    url,
    versionMajor,
    versionMinor,
    headers,
    headerCount: count,
    framing,
    contentLength,
    keepAlive,
    expectContinue: expectLower === '100-continue',
    expectOther: expectLower !== undefined && expectLower !== '100-continue',
  };
}

/** Original-case [name, value, …] pairs of a complete head (IncomingMessage.rawHeaders), made on demand. */
export function rawHeaderPairs(buf: Buffer, start: number, end: number): string[] {
  const out: string[] = [];
  const text = buf.toString('latin1', 0, end);
  let i = buf.indexOf(LF, start) + 1;
  const last = end - 2;
  while (i > 0 && i < last) {
    const eol = buf.indexOf(CR, i);
    const colon = buf.indexOf(COLON, i);
    let v = colon + 1;
    while (buf[v] === SP || buf[v] === HT) v++;
    let ve = eol;
    while (ve > v && (buf[ve - 1] === SP || buf[ve - 1] === HT)) ve--;
    out.push(text.slice(i, colon), text.slice(v, ve));
    i = eol + 2;
  }
  return out;
}
