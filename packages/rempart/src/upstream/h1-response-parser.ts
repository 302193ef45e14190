import type { IncomingHttpHeaders } from 'node:http';
import { ResponseParseError } from './h1-errors.ts';
import { FieldLines, type Fields } from './h1-field-lines.ts';
import type { ForwardHead } from './h1-forward-lines.ts';
import { isChunkedOnly, valueKind } from './h1-header-fields.ts';
import { blockEnd, SplitHead } from './h1-split-head.ts';

// Incremental parser of one HTTP/1.1 response at a time, over the Buffers a socket delivers. Pure: bytes in,
// sink calls out, no I/O. A head is decoded once as latin1 and cut with string slices; body bytes are handed
// on as subarrays of the socket's chunk (never copied, except a head split across reads, which is gathered).
// Strict on purpose, since a gateway must not be desynchronised by its origin either: CL with TE, differing
// CLs, codings other than chunked, obs-fold, control bytes, bad chunk sizes and heads over the size bound
// are errors; so is HTTP/1.0 with Transfer-Encoding. Line ends must be CRLF.

export interface ResponseSink {
  /** Every response head, interim (1xx) ones included; body calls follow the final one. */
  onHead(status: number, reason: string, headers: IncomingHttpHeaders): void;
  onBody(chunk: Buffer): void;
}

const HEAD = 0;
const BODY_LENGTH = 1;
const BODY_CLOSE = 2;
const CHUNK_SIZE = 3;
const CHUNK_BWS = 4;
const CHUNK_EXT = 5;
const CHUNK_SIZE_LF = 6;
const CHUNK_DATA = 7;
const CHUNK_DATA_CR = 8;
const CHUNK_DATA_LF = 9;
const TRAILERS = 10;
export const PARSE_DONE = 11;
export const PARSE_FAILED = 12;
/** Stopped from outside (request aborted inside a sink call): the rest of the chunk is ignored. */
export const PARSE_HALTED = 13;

const CR = 13;
const LF = 10;
const MAX_CHUNK_DIGITS = 12; // 2^48 bytes: larger is an attack, not a body
const MAX_CHUNK_EXT = 1024;
/** Window decoded at once when looking for the end of a head (most heads are well under it). */
const PEEK_BYTES = 4096;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

export class H1ResponseParser {
  readonly sink: ResponseSink;
  readonly maxHeadBytes: number;
  state = PARSE_DONE;
  error: ResponseParseError | undefined = undefined;
  /** Some byte of this response arrived (a close before that means the origin never answered). */
  started = false;
  /** The final (non-1xx) head was delivered. */
  headDone = false;
  /** The connection may carry another request once this response is done. */
  keepAlive = false;
  /** The origin's Keep-Alive: timeout hint in ms, -1 when none. */
  keepAliveMs = -1;
  trailers: IncomingHttpHeaders | null = null;
  private noBody = false;
  private remaining = 0;
  private chunkDigits = 0;
  private headBytes = 0;
  private readonly split = new SplitHead();
  private peeked = 0;
  /** Field lines and framing facts of the head being parsed. */
  private readonly lines = new FieldLines();

  constructor(sink: ResponseSink, maxHeadBytes = 64 * 1024) {
    this.sink = sink;
    this.maxHeadBytes = maxHeadBytes;
  }

  /** Expect a new response; `noBody` for the answer to HEAD. */
  reset(noBody: boolean): void {
    this.state = HEAD;
    this.noBody = noBody;
    this.error = undefined;
    this.started = false;
    this.headDone = false;
    this.keepAlive = false;
    this.keepAliveMs = -1;
    this.trailers = null;
    this.headBytes = 0;
    this.split.clear();
    this.lines.reset();
  }

  /** The final head as a proxy forwards it (see ForwardLines); asked for during the sink's onHead only. */
  forwardHead(): ForwardHead | undefined {
    return this.headDone ? this.lines.forward.render() : undefined;
  }

  halt(): void {
    if (this.state !== PARSE_FAILED) this.state = PARSE_HALTED;
  }

  /** Origin EOF: true when it ends a close-delimited body (the response is then complete). */
  finish(): boolean {
    if (this.state !== BODY_CLOSE) return false;
    this.state = PARSE_DONE;
    return true;
  }

  /**
   * Feeds chunk[0, len) (a read into a reused buffer fills only its start); returns how many bytes were left
   * after the response ended (0 normally).
   */
  execute(chunk: Buffer, len = chunk.length): number {
    if (this.state >= PARSE_DONE) return len;
    if (len > 0) this.started = true;
    let pos = 0;
    if (this.split.length > 0) {
      pos = this.gather(chunk, len);
      if (pos < 0) return 0;
    }
    while (pos < len) {
      const st = this.state;
      if (st === HEAD && this.peekHead(chunk, pos, len)) {
        pos += this.peeked;
      } else if (st === HEAD || st === TRAILERS) {
        const end = blockEnd(chunk, pos, len, pos, st === TRAILERS);
        if (end < 0) {
          this.keep(chunk, pos, len);
          return 0;
        }
        this.block(chunk, pos, end);
        pos = end;
      } else if (st === BODY_LENGTH || st === CHUNK_DATA) {
        const n = Math.min(this.remaining, len - pos);
        this.remaining -= n;
        if (this.remaining === 0) this.state = st === BODY_LENGTH ? PARSE_DONE : CHUNK_DATA_CR;
        this.sink.onBody(pos === 0 && n === chunk.length ? chunk : chunk.subarray(pos, pos + n));
        pos += n;
      } else if (st === BODY_CLOSE) {
        this.sink.onBody(pos === 0 && len === chunk.length ? chunk : chunk.subarray(pos, len));
        pos = len;
      } else if (st < PARSE_DONE) {
        this.chunkByte(chunk[pos++]);
      } else break;
      if (this.state >= PARSE_DONE) break;
    }
    return this.state === PARSE_DONE ? len - pos : 0;
  }

  private fail(code: string, message: string): void {
    if (this.state === PARSE_FAILED || this.state === PARSE_HALTED) return;
    this.state = PARSE_FAILED;
    this.error = new ResponseParseError(code, message);
  }

  /** Keeps the start of a split head. */
  private keep(chunk: Buffer, pos: number, len: number): void {
    const n = len - pos;
    if (this.headBytes + this.split.length + n > this.maxHeadBytes) {
      this.fail('HPE_HEADER_OVERFLOW', `head larger than ${this.maxHeadBytes} bytes`);
      return;
    }
    this.split.append(chunk, pos, n);
  }

  /** Adds a chunk to a split head; parses it when complete and returns where the chunk's rest starts, or -1. */
  private gather(chunk: Buffer, len: number): number {
    const old = this.split.length;
    const room = this.maxHeadBytes - this.headBytes - old + 4;
    const end = this.split.add(chunk, Math.min(len, Math.max(0, room)), this.state === TRAILERS);
    if (end < 0) {
      if (this.headBytes + this.split.length > this.maxHeadBytes)
        this.fail('HPE_HEADER_OVERFLOW', `head larger than ${this.maxHeadBytes} bytes`);
      return -1;
    }
    this.split.clear();
    this.block(this.split.bytes as Buffer, 0, end);
    return this.state >= PARSE_DONE && this.state !== PARSE_DONE ? -1 : end - old;
  }

  /**
   * The common case, a whole head within the chunk's first few KiB: one latin1 decode of that window serves
   * both the search for CRLFCRLF and the head's strings. Sets `peeked` to the head's length.
   */
  private peekHead(chunk: Buffer, pos: number, len: number): boolean {
    const w = chunk.toString('latin1', pos, Math.min(len, pos + PEEK_BYTES));
    const i = w.indexOf('\r\n\r\n');
    if (i < 0) return false;
    this.peeked = i + 4;
    // Parsed in place up to its end: a slice of the window would be a sliced string, slower to read per char.
    this.blockText(w, i + 4);
    return true;
  }

  private block(b: Buffer, from: number, end: number): void {
    this.blockText(b.toString('latin1', from, end), end - from);
  }

  /** The block is s[0, end) (what follows in `s` belongs to the body). */
  private blockText(s: string, end: number): void {
    this.headBytes += end;
    if (this.headBytes > this.maxHeadBytes) {
      this.fail('HPE_HEADER_OVERFLOW', `head larger than ${this.maxHeadBytes} bytes`);
      return;
    }
    if (this.state === TRAILERS) {
      const t: Fields = {};
      if (this.fields(s, 0, end, t, true)) {
        this.trailers = t as IncomingHttpHeaders;
        this.state = PARSE_DONE;
      }
      return;
    }
    this.head(s, end);
  }

  private head(s: string, end: number): void {
    const eol = s.indexOf('\r\n');
    if (eol < 12 || !s.startsWith('HTTP/1.') || s.charCodeAt(8) !== 32) {
      this.fail('HPE_INVALID_CONSTANT', 'bad status line');
      return;
    }
    const minor = s.charCodeAt(7) - 48;
    if (minor !== 0 && minor !== 1) {
      this.fail('HPE_INVALID_VERSION', 'not HTTP/1.0 or HTTP/1.1');
      return;
    }
    let status = 0;
    for (let i = 9; i < 12; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) {
        this.fail('HPE_INVALID_STATUS', 'bad status code');
        return;
      }
      status = status * 10 + d;
    }
    if (status < 100 || status === 101) {
      this.fail('HPE_INVALID_STATUS', `unexpected status ${status}`);
      return;
    }
    if (eol > 12 && (s.charCodeAt(12) !== 32 || valueKind(s, 13, eol) < 0)) {
      this.fail('HPE_INVALID_STATUS', 'bad reason phrase');
      return;
    }
    const reason = eol > 13 ? s.slice(13, eol) : '';
    const h: Fields = {};
    if (!this.fields(s, eol + 2, end, h, false)) return;
    if (status < 200) {
      this.lines.reset();
      this.state = HEAD;
      this.sink.onHead(status, reason, h as IncomingHttpHeaders);
      return;
    }
    this.frame(status, minor);
    if (this.state === PARSE_FAILED) return;
    this.headDone = true;
    this.sink.onHead(status, reason, h as IncomingHttpHeaders);
  }

  /** Body framing of a final response (RFC 9112 §6.3), strictest reading. */
  private frame(status: number, minor: number): void {
    const { te, contentLength: cl } = this.lines;
    if (te !== undefined && cl >= 0) {
      this.fail('HPE_UNEXPECTED_CONTENT_LENGTH', 'both Content-Length and Transfer-Encoding');
      return;
    }
    this.keepAlive = !this.lines.connClose && (minor === 1 || this.lines.connKeepAlive);
    this.keepAliveMs = this.lines.keepAliveMs;
    if (this.noBody || status === 204 || status === 304) {
      // A 204 announcing a body is a framing doubt: answer it, then close that socket.
      if (status === 204 && (te !== undefined || cl > 0)) this.keepAlive = false;
      this.state = PARSE_DONE;
    } else if (te !== undefined) {
      if (minor === 0) {
        this.fail('HPE_INVALID_TRANSFER_ENCODING', 'Transfer-Encoding in HTTP/1.0');
        return;
      }
      if (!isChunkedOnly(te)) {
        this.fail('HPE_INVALID_TRANSFER_ENCODING', `unsupported coding "${te}"`);
        return;
      }
      this.state = CHUNK_SIZE;
      this.remaining = 0;
      this.chunkDigits = 0;
    } else if (cl >= 0) {
      this.remaining = cl;
      this.state = cl === 0 ? PARSE_DONE : BODY_LENGTH;
    } else {
      this.state = BODY_CLOSE;
      this.keepAlive = false;
    }
  }

  private fields(s: string, p: number, end: number, h: Fields, trailer: boolean): boolean {
    if (this.lines.parse(s, p, end, h, trailer)) return true;
    this.state = PARSE_FAILED;
    this.error = this.lines.error;
    return false;
  }

  /** One byte of chunked framing outside chunk data. */
  private chunkByte(c: number): void {
    switch (this.state) {
      case CHUNK_SIZE: {
        const v = hexValue(c);
        if (v >= 0 && this.chunkDigits < MAX_CHUNK_DIGITS) {
          this.remaining = this.remaining * 16 + v;
          this.chunkDigits++;
        } else if (this.chunkDigits > 0 && v < 0 && (c === CR || c === 59 /* ; */ || isOws(c))) {
          this.chunkDigits = 0; // now counts extension bytes
          this.state = c === CR ? CHUNK_SIZE_LF : c === 59 ? CHUNK_EXT : CHUNK_BWS;
        } else this.fail('HPE_INVALID_CHUNK_SIZE', 'bad chunk size');
        return;
      }
      case CHUNK_BWS: // only whitespace then ";" may follow the size
        if (c === 59) this.state = CHUNK_EXT;
        else if (!isOws(c) || ++this.chunkDigits > MAX_CHUNK_EXT) this.fail('HPE_INVALID_CHUNK_SIZE', 'bad chunk size');
        return;
      case CHUNK_EXT:
        if (c === CR) this.state = CHUNK_SIZE_LF;
        else if ((c < 32 && c !== 9) || c === 127 || ++this.chunkDigits > MAX_CHUNK_EXT)
          this.fail('HPE_INVALID_CHUNK_SIZE', 'bad chunk extension');
        return;
      case CHUNK_SIZE_LF:
        if (c !== LF) {
          this.fail('HPE_LF_EXPECTED', 'chunk size line without LF');
          return;
        }
        this.state = this.remaining === 0 ? TRAILERS : CHUNK_DATA;
        return;
      case CHUNK_DATA_CR:
        if (c !== CR) {
          this.fail('HPE_CR_EXPECTED', 'chunk data not followed by CRLF');
          return;
        }
        this.state = CHUNK_DATA_LF;
        return;
      case CHUNK_DATA_LF:
        if (c !== LF) {
          this.fail('HPE_LF_EXPECTED', 'chunk data not followed by CRLF');
          return;
        }
        this.state = CHUNK_SIZE;
        this.remaining = 0;
        this.chunkDigits = 0;
        return;
    }
  }
}

function isOws(c: number): boolean {
  return c === 32 || c === 9;
}
