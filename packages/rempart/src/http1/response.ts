import { EventEmitter } from 'node:events';
import type { OutgoingHttpHeader, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { checkedLines, headerKind, INVALID, InvalidHeaderError, rendered, renderGiven } from './head-fields.ts';
import type { H1Request } from './request.ts';
import { httpDate, statusLine } from './status-line.ts';

// The response side of the cleartext HTTP/1.1 listener, shaped like node:http's ServerResponse where the gateway
// writes (writeHead, write with backpressure, end, addTrailers, headersSent, 'close'/'drain'/'finish'). The head
// is built once, when the first bytes go out, so writeHead + end(body) leave in one socket write. Framing is
// decided here: the given Content-Length, else chunked for HTTP/1.1 and close-delimited for HTTP/1.0; no body
// for HEAD, 1xx, 204 and 304.

/** What the response needs from its connection. */
export interface ResponseSink {
  /** Persistent connection still allowed (client asked for it, not draining, under the per-socket budget). */
  canKeepAlive(): boolean;
  /** The last byte was handed to the socket; `reusable` says whether the connection may carry another request. */
  responseDone(res: H1Response, reusable: boolean): void;
}

const NO_FRAMING = -2;
/** First body chunks up to this size are copied behind the head, so both leave in one plain write. */
const FIRST_WRITE_COPY_BYTES = 16 * 1024;
const CHUNKED = -1;

function emitFinished(res: H1Response): void {
  res.emit('finish');
  res.emit('close');
}

export class H1Response extends EventEmitter {
  statusCode = 200;
  statusMessage = '';
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  /** Cleared by the gateway to close the connection after this response (unread body, refusal). */
  shouldKeepAlive: boolean;
  readonly req: H1Request;
  readonly socket: Socket;
  private readonly sink: ResponseSink;
  private stored: OutgoingHttpHeaders | undefined = undefined;
  private given: OutgoingHttpHeaders | undefined = undefined;
  /** Field lines given whole by writeHeadRaw, and their framing facts. */
  private raw: string | undefined = undefined;
  private rawLength = -1;
  private rawDate = false;
  /** Bytes still expected by a Content-Length, CHUNKED, or NO_FRAMING (HEAD/204/304 or close-delimited). */
  private left = NO_FRAMING;
  private bodyless = false;
  private keepAlive = false;
  private trailers = '';

  constructor(req: H1Request, socket: Socket, sink: ResponseSink, keepAlive: boolean) {
    super();
    this.req = req;
    this.socket = socket;
    this.sink = sink;
    this.shouldKeepAlive = keepAlive;
  }

  get connection(): Socket {
    return this.socket;
  }

  // Plain (non-generic) listener signatures, so that code holding any listener's response can subscribe.
  // biome-ignore lint/suspicious/noExplicitAny: the listener signature of node's own response classes
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.on(event, listener);
  }
  // biome-ignore lint/suspicious/noExplicitAny: as above
  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.once(event, listener);
  }
  // biome-ignore lint/suspicious/noExplicitAny: as above
  override off(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.off(event, listener);
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }
  get writableNeedDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  setHeader(name: string, value: OutgoingHttpHeader): this {
    if (this.headersSent) throw new Error('headers already sent');
    this.stored ??= {};
    this.stored[name.toLowerCase()] = value;
    return this;
  }
  getHeader(name: string): OutgoingHttpHeader | undefined {
    return this.stored?.[name.toLowerCase()];
  }
  hasHeader(name: string): boolean {
    return this.stored?.[name.toLowerCase()] !== undefined;
  }
  removeHeader(name: string): void {
    if (this.stored) delete this.stored[name.toLowerCase()];
  }
  getHeaders(): OutgoingHttpHeaders {
    return { ...this.stored };
  }

  writeHead(status: number, reasonOrHeaders?: string | OutgoingHttpHeaders, headers?: OutgoingHttpHeaders): this {
    if (this.headersSent) throw new Error('headers already sent');
    this.statusCode = status;
    if (typeof reasonOrHeaders === 'string') this.statusMessage = reasonOrHeaders;
    else headers = reasonOrHeaders;
    this.given = this.stored === undefined ? headers : { ...this.stored, ...headers };
    this.raw = undefined;
    return this;
  }

  /**
   * The proxy's fast path: `fields` are an origin's field lines ("name: value\r\n" each, hop-by-hop ones
   * removed) that the upstream response parser has checked (names are tokens, values hold no CR, LF, NUL or
   * other control), so they are copied without a second pass; only `cookie`, the gateway's own Set-Cookie
   * value, is checked here. `contentLength` is the origin's (-1 when none), whose line is among `fields`.
   */
  writeHeadRaw(
    status: number,
    fields: string,
    contentLength: number,
    hasDate: boolean,
    cookie: string | undefined,
  ): this {
    if (this.headersSent) throw new Error('headers already sent');
    if (cookie !== undefined && headerKind('set-cookie', cookie) === INVALID)
      throw new InvalidHeaderError('invalid header set-cookie');
    this.statusCode = status;
    this.given = this.stored;
    this.raw = cookie === undefined ? fields : `${fields}set-cookie: ${cookie}\r\n`;
    this.rawLength = contentLength;
    this.rawDate = hasDate;
    return this;
  }

  /** 103 Early Hints, before the final answer (HTTP/1.1 clients only). */
  writeEarlyHints(hints: Record<string, string | string[]>): void {
    if (this.headersSent || this.destroyed || this.req.httpVersionMinor !== 1) return;
    const s = `HTTP/1.1 103 Early Hints\r\n${checkedLines(hints, 'early hint')}`;
    this.socket.write(`${s}\r\n`, 'latin1');
  }

  /**
   * The head as a latin1 string. `bodyLength` is known when end(body) comes before any write: then a missing
   * Content-Length is filled in instead of chunking.
   */
  private buildHead(bodyLength: number): { head: string; ascii: boolean } {
    const status = this.statusCode;
    let head = statusLine(status, this.statusMessage);
    renderGiven(this.given ?? this.stored);
    head += rendered.lines;
    let length = rendered.length;
    const chunkedByCaller = rendered.chunkedByCaller;
    let hasDate = rendered.hasDate;
    const closeAsked = rendered.closeAsked;
    let ascii = rendered.ascii;
    if (this.raw !== undefined) {
      head += this.raw;
      if (this.rawLength >= 0) length = this.rawLength;
      if (this.rawDate) hasDate = true;
      ascii = false; // an origin's values may hold obs-text
    }
    if (!hasDate) head += `date: ${httpDate()}\r\n`;
    this.bodyless = this.req.method === 'HEAD' || status === 204 || status === 304 || status < 200;
    const http10 = this.req.httpVersionMinor === 0;
    let keepAlive = this.shouldKeepAlive && !closeAsked && this.sink.canKeepAlive();
    if (this.bodyless) this.left = NO_FRAMING;
    else if (length >= 0) this.left = length;
    else if (chunkedByCaller) this.left = CHUNKED;
    else if (bodyLength >= 0) {
      this.left = bodyLength;
      head += `content-length: ${bodyLength}\r\n`;
    } else if (!http10) {
      this.left = CHUNKED;
      head += 'transfer-encoding: chunked\r\n';
    } else {
      // HTTP/1.0 without a length: the body ends when the connection does.
      this.left = NO_FRAMING;
      keepAlive = false;
    }
    if (!keepAlive) {
      if (!closeAsked) head += 'connection: close\r\n';
    } else if (http10) head += 'connection: keep-alive\r\n';
    this.keepAlive = keepAlive;
    this.headersSent = true;
    return { head: `${head}\r\n`, ascii };
  }

  write(chunk: string | Uint8Array, encoding?: BufferEncoding | (() => void), cb?: () => void): boolean {
    if (typeof encoding === 'function') cb = encoding;
    if (this.writableEnded || this.destroyed) return false;
    const bytes =
      typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk;
    const s = this.socket;
    let ok: boolean;
    if (!this.headersSent) ok = this.writeFirst(this.buildHead(-1).head, bytes);
    else {
      s.cork();
      ok = this.writeBody(bytes);
      s.uncork();
    }
    if (cb) process.nextTick(cb);
    return ok;
  }

  /**
   * The head and the first body bytes in one buffer and one socket write: a corked string and Buffer pair
   * would leave through writev, which costs more per response (JS chunk lists, a C++ copy of the string).
   */
  private writeFirst(head: string, bytes: Uint8Array): boolean {
    const s = this.socket;
    const n = bytes.length;
    if (this.bodyless || n === 0) return s.write(head, 'latin1');
    if (n > FIRST_WRITE_COPY_BYTES || (this.left >= 0 && n > this.left)) {
      s.cork();
      s.write(head, 'latin1');
      const ok = this.writeBody(bytes);
      s.uncork();
      return ok;
    }
    const chunked = this.left === CHUNKED;
    const size = chunked ? `${n.toString(16)}\r\n` : '';
    const out = Buffer.allocUnsafe(head.length + size.length + n + (chunked ? 2 : 0));
    let at = out.write(head, 0, 'latin1');
    if (chunked) at += out.write(size, at, 'latin1');
    out.set(bytes, at);
    at += n;
    if (chunked) {
      out[at] = 13;
      out[at + 1] = 10;
    } else if (this.left >= 0) this.left -= n;
    return s.write(out);
  }

  private writeBody(bytes: Uint8Array): boolean {
    const s = this.socket;
    if (this.bodyless || bytes.length === 0) return !s.writableNeedDrain;
    if (this.left === CHUNKED) {
      s.write(`${bytes.length.toString(16)}\r\n`, 'latin1');
      s.write(bytes);
      return s.write('\r\n', 'latin1');
    }
    if (this.left >= 0) {
      // More than the declared length would corrupt the framing of the next response: refuse to send it.
      if (bytes.length > this.left) {
        this.destroy(new Error('response body longer than its Content-Length'));
        return false;
      }
      this.left -= bytes.length;
    }
    return s.write(bytes);
  }

  addTrailers(headers: Record<string, string | string[]>): void {
    this.trailers += checkedLines(headers, 'trailer');
  }

  end(chunk?: string | Uint8Array | (() => void), encoding?: BufferEncoding | (() => void), cb?: () => void): this {
    if (typeof chunk === 'function') {
      cb = chunk;
      chunk = undefined;
    } else if (typeof encoding === 'function') cb = encoding;
    if (this.writableEnded || this.destroyed) return this;
    this.writableEnded = true;
    const s = this.socket;
    if (!this.headersSent) {
      const enc = typeof encoding === 'string' ? encoding : 'utf8';
      const len = chunk === undefined ? 0 : typeof chunk === 'string' ? Buffer.byteLength(chunk, enc) : chunk.length;
      const { head, ascii } = this.buildHead(len);
      if (!this.bodyless && this.left >= 0 && len > this.left) {
        this.destroy(new Error('response body longer than its Content-Length'));
        return this;
      }
      if (this.left === CHUNKED) {
        // The caller named chunked coding itself: frame the body and end the chunk stream.
        s.cork();
        s.write(head, 'latin1');
        if (len > 0) this.writeBody(typeof chunk === 'string' ? Buffer.from(chunk, enc) : (chunk as Uint8Array));
        s.write(`0\r\n${this.trailers}\r\n`, 'latin1');
        s.uncork();
      } else if (this.bodyless || len === 0) s.write(head, 'latin1');
      else if (typeof chunk === 'string' && ascii && enc === 'utf8')
        s.write(head + chunk); // one write, one syscall: the head is plain ASCII, so utf8 encodes it unchanged
      else if (typeof chunk === 'string' && enc === 'latin1')
        s.write(head + chunk, 'latin1'); // a byte copy
      else {
        s.cork();
        s.write(head, 'latin1');
        s.write(typeof chunk === 'string' ? Buffer.from(chunk, enc) : (chunk as Uint8Array));
        s.uncork();
      }
      if (!this.bodyless && len > 0 && this.left >= 0) this.left -= len;
    } else if (chunk !== undefined || this.left === CHUNKED) {
      // A proxied answer usually ends here with nothing left to write (its body framed by Content-Length).
      s.cork();
      if (chunk !== undefined)
        this.writeBody(
          typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk,
        );
      if (this.left === CHUNKED) s.write(`0\r\n${this.trailers}\r\n`, 'latin1');
      s.uncork();
    }
    if (this.destroyed) return this;
    if (this.left > 0) {
      // A body shorter than its Content-Length would leave the client waiting for bytes that never come.
      this.destroy(new Error('response body shorter than its Content-Length'));
      return this;
    }
    if (cb) this.once('finish', cb);
    this.sink.responseDone(this, this.keepAlive);
    return this;
  }

  /** Called by the connection once the response's bytes are handed over: 'finish' then 'close'. */
  finished(): void {
    this.writableFinished = true;
    // Like node:http, 'finish' and 'close' come after end() returns, never inside it: a proxy that calls end()
    // and then settles its own bookkeeping must not see its 'close' listener fire in between (it would read
    // the close as the client leaving). A refusal nobody listens to costs no tick.
    if (this.listenerCount('finish') > 0 || this.listenerCount('close') > 0) process.nextTick(emitFinished, this);
  }

  /** The connection closed first (client gone, or destroy()). */
  aborted(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }

  flushHeaders(): void {
    if (this.headersSent || this.destroyed) return;
    this.socket.write(this.buildHead(-1).head, 'latin1');
  }

  destroy(_err?: Error): this {
    if (!this.destroyed) this.socket.destroy();
    return this;
  }
}
