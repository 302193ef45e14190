import type { Socket } from 'node:net';
import { type BodySink, ChunkedDecoder } from './chunked-decoder.ts';
import { H1Request } from './request.ts';
import { checkPartialHead, findHeadEnd, type HeadError, parseRequestHead } from './request-head.ts';
import { H1Response } from './response.ts';

// One client connection of the cleartext HTTP/1.1 listener: bytes in → request heads parsed → request handed to
// the gateway with its response → body bytes pushed as they come → next request once the response is done.
// One request at a time: bytes of a pipelined next request wait (bounded) until the current answer is complete.
// Timers are not armed per request: the server's sweep reads the timestamps kept here (see h1-server.ts).

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly maxHeaderBytes: number;
  readonly maxRequestsPerSocket: number;
  readonly draining: boolean;
  /** Coarse time in ms (the server's sweep clock). */
  now(): number;
  dispatch(req: H1Request, res: H1Response, conn: H1Connection): void;
  /** The parser refused the input: answer `status` with a decision id and close. */
  refuse(conn: H1Connection, status: number, reason: string): void;
  closed(conn: H1Connection): void;
}

/** Bytes of pipelined requests kept while one is answered; beyond, the socket stops being read. */
const PIPELINE_BUFFER_BYTES = 64 * 1024;

const S_HEAD: number = 0; // waiting for (the rest of) a request head
const S_BODY: number = 1; // reading a request body
const S_WAIT: number = 2; // request read, answer not finished
const S_CLOSED: number = 3;

const CR = 13;
const LF = 10;

export class H1Connection implements BodySink {
  readonly socket: Socket;
  readonly host: ConnectionHost;
  /** Opaque per-connection facts for the gateway (peer address, listener). */
  readonly info: unknown;
  state = S_HEAD;
  /** When the current head started (coarse ms): slow-header timeout. */
  headSince: number;
  /** When the current request started: request timeout while its body is read. */
  requestSince = 0;
  /** The connection carries no request and holds no byte (keep-alive timeout applies). */
  idle = false;
  requests = 0;
  private buf: Buffer | undefined = undefined;
  private scanFrom = 0;
  private req: H1Request | undefined = undefined;
  private res: H1Response | undefined = undefined;
  private bodyLeft = 0;
  private chunked: ChunkedDecoder | undefined = undefined;
  private expectContinue = false;
  private paused = false;
  private inLoop = false;
  private readonly onDataBound = (chunk: Buffer) => this.onData(chunk);
  private readonly onDrainBound = () => this.res?.emit('drain');

  constructor(socket: Socket, host: ConnectionHost, info: unknown) {
    this.socket = socket;
    this.host = host;
    this.info = info;
    this.headSince = host.now();
    // The FIN of a client is handled here (onEnd), not by Node's automatic end of our side.
    (socket as Socket & { allowHalfOpen: boolean }).allowHalfOpen = true;
    socket.on('data', this.onDataBound);
    socket.on('drain', this.onDrainBound);
    socket.once('end', () => this.onEnd());
    // Resets and broken pipes end in 'close'; an unhandled 'error' must never take the process down.
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.onClose());
  }

  /** The request being answered has a response in progress (the sweep must not answer 408 over it). */
  get answering(): boolean {
    return this.res?.headersSent === true;
  }

  private onData(chunk: Buffer): void {
    if (this.state === S_BODY) {
      const used = this.feedBody(chunk, 0, chunk.length);
      if (used < chunk.length && this.state !== S_CLOSED) this.keep(chunk.subarray(used));
      return;
    }
    if (this.state === S_WAIT) {
      this.keep(chunk);
      return;
    }
    if (this.state === S_CLOSED) return;
    if (this.buf === undefined && this.idle) this.headSince = this.host.now();
    this.idle = false;
    this.keep(chunk);
    this.loop();
  }

  /** Appends unparsed bytes (a head in progress, or pipelined requests), bounded. */
  private keep(chunk: Buffer): void {
    this.buf = this.buf === undefined ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.state !== S_HEAD && this.buf.length > PIPELINE_BUFFER_BYTES) this.pause();
  }

  /** Parses and dispatches the requests in the buffer, one at a time, while each is answered at once. */
  private loop(): void {
    if (this.inLoop) return;
    this.inLoop = true;
    try {
      while (this.state === S_HEAD && this.buf !== undefined) {
        let buf: Buffer = this.buf;
        // Empty lines before a request line are ignored (RFC 9112 §2.2).
        let start = 0;
        while (start + 1 < buf.length && buf[start] === CR && buf[start + 1] === LF) start += 2;
        if (start > 0) {
          buf = buf.subarray(start);
          this.scanFrom = Math.max(0, this.scanFrom - start);
          if (buf.length === 0) {
            this.buf = undefined;
            break;
          }
          this.buf = buf;
        }
        const end = findHeadEnd(buf, 0, buf.length, this.scanFrom, this.host.maxHeaderBytes);
        if (typeof end !== 'number') {
          this.fail(end);
          return;
        }
        if (end < 0) {
          const bad = checkPartialHead(buf, 0, buf.length);
          if (bad !== undefined) this.fail(bad);
          else this.scanFrom = Math.max(0, buf.length - 3);
          return;
        }
        this.scanFrom = 0;
        const head = parseRequestHead(buf, 0, end);
        if ('status' in head) {
          this.fail(head);
          return;
        }
        this.buf = end < buf.length ? buf.subarray(end) : undefined;
        this.requests++;
        this.requestSince = this.host.now();
        const req = new H1Request(head, buf.subarray(0, end), this.socket, this);
        const max = this.host.maxRequestsPerSocket;
        const keepAlive = head.keepAlive && !(max > 0 && this.requests >= max);
        const res = new H1Response(req, this.socket, this, keepAlive);
        this.req = req;
        this.res = res;
        this.expectContinue = head.expectContinue;
        if (head.framing === 'length') {
          this.bodyLeft = head.contentLength;
          this.state = S_BODY;
        } else if (head.framing === 'chunked') {
          this.chunked = new ChunkedDecoder();
          this.state = S_BODY;
        } else this.state = S_WAIT;
        if (head.expectOther) {
          this.host.refuse(this, 417, 'parser/expectation-failed');
          return;
        }
        this.host.dispatch(req, res, this);
        // Body bytes that came with the head.
        if (this.state === S_BODY && this.buf !== undefined) {
          const rest: Buffer = this.buf;
          this.buf = undefined;
          const used = this.feedBody(rest, 0, rest.length);
          if (used < rest.length && this.state !== S_CLOSED) this.keep(rest.subarray(used));
        }
      }
    } finally {
      this.inLoop = false;
    }
  }

  /** Pushes body bytes to the request; returns how many belonged to it. */
  private feedBody(buf: Buffer, start: number, end: number): number {
    if (this.chunked !== undefined) {
      const used = this.chunked.feed(buf, start, end, this);
      if (typeof used !== 'number') {
        this.fail(used);
        return end - start;
      }
      if (this.chunked.done) this.bodyDone();
      return used;
    }
    const take = Math.min(this.bodyLeft, end - start);
    this.bodyLeft -= take;
    this.onBody(start === 0 && take === buf.length ? buf : buf.subarray(start, start + take));
    if (this.bodyLeft === 0) this.bodyDone();
    return take;
  }

  onBody(chunk: Buffer): void {
    const req = this.req;
    if (req === undefined || req.destroyed) return;
    // Through the property: the body guard (slow-guard.ts) wraps push to count bytes.
    if (!req.push(chunk)) this.pause();
  }

  private bodyDone(): void {
    const req = this.req as H1Request;
    this.chunked = undefined;
    this.state = S_WAIT;
    req.complete = true;
    if (!req.destroyed) req.push(null);
    if (this.res?.writableFinished) this.next();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  resumeBody(): void {
    if (this.expectContinue) {
      this.expectContinue = false;
      if (!this.res?.headersSent) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    }
    if (this.paused && this.state === S_BODY) {
      this.paused = false;
      this.socket.resume();
    }
  }

  abandonBody(): void {
    // The rest of the body would be read as the next request: this connection ends with the answer.
    if (this.state === S_BODY && this.res !== undefined) this.res.shouldKeepAlive = false;
  }

  canKeepAlive(): boolean {
    return !this.host.draining;
  }

  responseDone(res: H1Response, reusable: boolean): void {
    if (res !== this.res) return;
    res.finished();
    if (this.state === S_CLOSED) return;
    if (!reusable || this.state === S_BODY) {
      // An unread body (a refusal) or a closing answer: no further request on this connection.
      this.closeAfterWrite();
      return;
    }
    if (this.state === S_WAIT) this.next();
  }

  /** Request read and answered: ready for the next one. */
  private next(): void {
    const req = this.req;
    this.req = undefined;
    this.res = undefined;
    this.state = S_HEAD;
    this.headSince = this.host.now();
    if (req !== undefined) req.emit('close');
    this.idle = this.buf === undefined;
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    if (this.buf !== undefined) this.loop();
  }

  /** Refuses the input: a short error with a decision id when nothing was answered yet, then close. */
  fail(e: HeadError): void {
    if (this.state === S_CLOSED) return;
    if (this.res?.headersSent || this.res?.writableEnded) {
      this.socket.destroy();
      return;
    }
    this.host.refuse(this, e.status, `parser/${e.reason}`);
  }

  /** Ends the connection once the bytes written so far are flushed. */
  closeAfterWrite(): void {
    if (this.state === S_CLOSED) return;
    this.state = S_CLOSED;
    this.socket.removeListener('data', this.onDataBound);
    this.socket.destroySoon();
  }

  /**
   * The server's sweep: slow heads get 408 (header timeout, from the connection's start or the first byte of
   * a later request), slow bodies 408 (request timeout, until the body is complete), idle keep-alive
   * connections are closed quietly. A request whose body is read is the gateway's to time out, not the parser's.
   */
  checkTimers(now: number, t: { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number }): void {
    if (this.state === S_HEAD) {
      if (this.idle) {
        if (t.keepAliveTimeout > 0 && now - this.headSince > t.keepAliveTimeout) this.closeAfterWrite();
      } else if (t.headersTimeout > 0 && now - this.headSince > t.headersTimeout)
        this.host.refuse(this, 408, 'parser/header-timeout');
    } else if (this.state === S_BODY && t.requestTimeout > 0 && now - this.requestSince > t.requestTimeout) {
      if (this.answering) this.socket.destroy();
      else this.host.refuse(this, 408, 'parser/request-timeout');
    }
  }

  /** The parser or a timer answers in place of the gateway: the response object must not write any more. */
  silenceResponse(): void {
    this.res?.aborted();
  }

  /** Closes a connection that carries no request (draining). */
  closeIfIdle(): boolean {
    if (this.state !== S_HEAD || this.buf !== undefined) return false;
    this.closeAfterWrite();
    return true;
  }

  private onEnd(): void {
    // A FIN while a request is in flight is a client that left (browsers never half-close): cut the exchange
    // so the gateway stops the origin's work, as node:http and nginx do.
    if (this.state === S_HEAD) this.closeAfterWrite();
    else this.socket.destroy();
  }

  private onClose(): void {
    this.state = S_CLOSED;
    const req = this.req;
    const res = this.res;
    this.req = undefined;
    this.res = undefined;
    this.buf = undefined;
    if (res !== undefined && !res.writableFinished) res.aborted();
    if (req !== undefined) {
      if (!req.complete) req.abort();
      else req.emit('close');
    }
    this.host.closed(this);
  }
}
