import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { type BodyOwner, BodyWriter } from './h1-body-writer.ts';
import { CODES, socketError, UpstreamError } from './h1-errors.ts';
import type { ForwardHead } from './h1-forward-lines.ts';
import type { PoolRequest, RequestCarrier } from './h1-pool-request.ts';
import { BODY_BUFFER, BODY_CHUNKED, BODY_NONE } from './h1-request-head.ts';
import { H1ResponseParser, PARSE_DONE, PARSE_FAILED, type ResponseSink } from './h1-response-parser.ts';
import { type DeadlineOwner, LazyTimer } from './lazy-timer.ts';

// One origin socket carrying one request at a time (never pipelined): writes the head and body, feeds the
// answer to the parser, relays it to the request's handler, and reports to its pool when it is free again or
// gone. Its listeners are bound once per socket, never per request.

/** A connection's own read buffer: small while answers are small, large once a read fills it (a big body). */
const SMALL_READ_BYTES = 16 * 1024;
const LARGE_READ_BYTES = 64 * 1024;
/** Body bytes up to this size are copied out of the read buffer; a larger piece takes the buffer along. */
const COPY_BODY_BYTES = 4 * 1024;

/** net's `onread` option: reads land in a buffer the connection owns, handed to `callback`. */
export interface OwnReads {
  buffer: () => Uint8Array;
  /** false would pause the socket; pauses go through socket.pause() here. */
  callback: (nread: number, buf: Uint8Array) => boolean;
}

export const CONNECTING = 0;
export const IDLE = 1;
export const BUSY = 2;
export const CLOSED = 3;

/** What a connection needs from its pool. */
export interface ConnectionHost {
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  readonly connectTimeout: number;
  readonly maxHeaderSize: number;
  connected(conn: H1Connection): void;
  connectFailed(conn: H1Connection, err: Error): void;
  /** The response is complete and the socket may carry another request. */
  released(conn: H1Connection): void;
  /** The connection left the given state for CLOSED (its socket may still be closing). */
  closed(conn: H1Connection, wasState: number): void;
  /** The socket is closed: it no longer counts against the connection limit. */
  gone(conn: H1Connection): void;
}

export class H1Connection implements ResponseSink, RequestCarrier, DeadlineOwner, BodyOwner {
  readonly host: ConnectionHost;
  readonly socket: Socket;
  readonly parser: H1ResponseParser;
  readonly timer: LazyTimer;
  state = CONNECTING;
  req: PoolRequest | null = null;
  /** Requests carried so far (a request on a socket that carried one before may meet a close race). */
  served = 0;
  /** The origin's Keep-Alive timeout hint (ms), -1 when none: idle sockets are dropped before it. */
  keepAliveMs = -1;
  private readonly body: BodyWriter;
  private readPaused = false;
  /** performance.now() of the event being handled: one clock read serves every timer move it causes. */
  private now = 0;
  private lastError: Error | undefined = undefined;
  /** The buffer reads land in (cleartext sockets), null until the next read once a body piece took it. */
  private readBuf: Buffer | null = null;
  private readBytes = SMALL_READ_BYTES;

  /**
   * `open` makes the socket; cleartext ones are given `OwnReads`: each read fills the connection's buffer
   * instead of a new Buffer pushed through the socket's Readable (which also schedules a tick per read).
   */
  constructor(
    host: ConnectionHost,
    open: (reads: OwnReads | undefined) => Socket,
    connectEvent: 'connect' | 'secureConnect',
  ) {
    this.host = host;
    const own = connectEvent === 'connect';
    const socket = open(
      own
        ? {
            buffer: () => (this.readBuf ??= Buffer.allocUnsafeSlow(this.readBytes)),
            callback: (n, b) => {
              this.onData(b as Buffer, n);
              if (n === b.length && this.readBytes < LARGE_READ_BYTES) this.resizeReads(LARGE_READ_BYTES);
              return true;
            },
          }
        : undefined,
    );
    this.socket = socket;
    this.parser = new H1ResponseParser(this, host.maxHeaderSize);
    this.timer = new LazyTimer(this);
    this.body = new BodyWriter(this, socket);
    socket.once(connectEvent, () => this.onConnect());
    if (!own) socket.on('data', (chunk: Buffer) => this.onData(chunk, chunk.length));
    socket.on('end', () => this.onEnd());
    socket.on('error', (err: Error) => this.onError(err));
    socket.on('close', () => this.onClose());
    this.timer.arm(host.connectTimeout, performance.now());
  }

  /** Sends a request on this idle, connected socket. */
  start(req: PoolRequest): void {
    this.state = BUSY;
    this.req = req;
    req.conn = this;
    this.served++;
    this.socket.ref();
    if (req.paused) this.pauseReading(); // paused while it waited for a socket
    this.parser.reset(req.isHead);
    this.now = performance.now();
    this.timer.arm(this.headersTimeout(), this.now);
    const s = this.socket;
    const kind = req.bodyKind;
    if (kind === BODY_NONE) s.write(req.head as Buffer);
    else if (kind === BODY_BUFFER) {
      s.cork();
      s.write(req.head as Buffer);
      s.write(req.bodyBuffer as Buffer);
      s.uncork();
    } else {
      s.write(req.head as Buffer);
      this.body.start(req.bodyStream as Readable, kind === BODY_CHUNKED ? -1 : req.bodyLength);
    }
  }

  /** Parks the socket: unref'd so an idle pool never holds the process open; dropped after `idleMs`. */
  idle(idleMs: number): void {
    this.state = IDLE;
    this.socket.unref();
    this.timer.arm(idleMs, this.now);
  }

  /** Fails the request in flight (if any) with `err` and drops the socket. */
  close(err: Error): void {
    if (this.req !== null) this.failCurrent(err);
    else this.destroy();
  }

  destroy(): void {
    if (this.state === CLOSED) return;
    const was = this.state;
    this.state = CLOSED;
    this.timer.stop();
    this.parser.halt();
    this.body.detach();
    this.socket.destroy();
    this.host.closed(this, was);
  }

  // RequestCarrier: the controller's calls.

  abortRequest(req: PoolRequest, reason: Error): void {
    if (this.req === req) this.abortCurrent(reason);
  }

  forwardHead(): ForwardHead | undefined {
    return this.parser.forwardHead();
  }

  pauseReading(): void {
    if (this.readPaused || this.state !== BUSY) return;
    this.readPaused = true;
    // The origin is not the slow side while the client cannot take more: no body timeout meanwhile.
    if (this.parser.headDone) this.timer.disarm();
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.readPaused) return;
    this.readPaused = false;
    if (this.state !== BUSY) return;
    if (this.parser.headDone) this.timer.arm(this.bodyTimeout(), performance.now());
    this.socket.resume();
  }

  // ResponseSink: the parser's calls, relayed to the handler.

  onHead(status: number, reason: string, headers: IncomingHttpHeaders): void {
    const req = this.req as PoolRequest;
    if (status >= 200 && this.parser.state !== PARSE_DONE) this.timer.arm(this.bodyTimeout(), this.now);
    req.responseStart(status, headers, reason);
  }

  onBody(chunk: Buffer): void {
    if (!this.readPaused) this.timer.arm(this.bodyTimeout(), this.now);
    const buf = this.readBuf;
    if (buf !== null && chunk.buffer === buf.buffer) {
      // The handler may keep the bytes (a socket write queued, a cache entry): the next read must not
      // overwrite them. Small pieces are copied; a large one keeps the buffer and the next read gets a new one.
      if (chunk.length <= COPY_BODY_BYTES) chunk = Buffer.from(chunk);
      else this.readBuf = null;
    }
    (this.req as PoolRequest).data(chunk);
  }

  onDeadline(): void {
    const st = this.state;
    if (st === CONNECTING) this.connectFailed(new UpstreamError(CODES.connectTimeout, 'connect timeout'));
    else if (st === BUSY) {
      if (this.parser.headDone) this.failCurrent(new UpstreamError(CODES.bodyTimeout, 'body timeout'));
      else this.failCurrent(new UpstreamError(CODES.headersTimeout, 'headers timeout'));
    } else this.destroy();
  }

  /** The next read gets a buffer of `bytes` (Node asks for the buffer after each read). */
  private resizeReads(bytes: number): void {
    this.readBytes = bytes;
    this.readBuf = null;
  }

  private headersTimeout(): number {
    const t = (this.req as PoolRequest).headersTimeout;
    return t >= 0 ? t : this.host.headersTimeout;
  }

  private bodyTimeout(): number {
    const t = (this.req as PoolRequest).bodyTimeout;
    return t >= 0 ? t : this.host.bodyTimeout;
  }

  private onConnect(): void {
    if (this.state !== CONNECTING) return;
    this.state = IDLE;
    this.timer.disarm();
    this.now = performance.now();
    this.host.connected(this);
  }

  private onData(chunk: Buffer, len: number): void {
    if (this.state !== BUSY) {
      // Bytes nobody asked for (a late answer, or garbage on an idle socket): that socket cannot be trusted.
      this.destroy();
      return;
    }
    this.now = performance.now();
    let left: number;
    try {
      left = this.parser.execute(chunk, len);
    } catch (err) {
      this.abortCurrent(err as Error); // the handler threw while taking the response
      return;
    }
    const st = this.parser.state;
    if (st === PARSE_DONE) this.complete(left);
    else if (st === PARSE_FAILED) this.failCurrent(this.parser.error as Error);
  }

  private complete(left: number): void {
    const req = this.req as PoolRequest;
    this.req = null;
    req.conn = null;
    // Reused only after a complete, cleanly framed exchange: nothing extra read, the request body fully sent.
    const reuse = this.parser.keepAlive && left === 0 && this.body.done && this.state === BUSY;
    const trailers = this.parser.trailers; // read before a queued request reuses the parser
    this.body.detach();
    // A socket back from a large answer keeps only a small read buffer.
    if (this.readBytes !== SMALL_READ_BYTES) this.resizeReads(SMALL_READ_BYTES);
    if (this.parser.keepAliveMs >= 0) this.keepAliveMs = this.parser.keepAliveMs;
    if (reuse) {
      if (this.readPaused) {
        this.readPaused = false;
        this.socket.resume();
      }
      this.state = IDLE;
      this.host.released(this);
    } else this.destroy();
    req.end(trailers);
  }

  /** Fails the request in flight with `err` and drops the socket. */
  private failCurrent(err: Error): void {
    const req = this.req;
    this.req = null;
    if (req !== null) req.conn = null;
    this.destroy();
    req?.fail(err);
  }

  private abortCurrent(err: Error): void {
    if (this.req !== null) this.failCurrent(err);
  }

  private onEnd(): void {
    if (this.state === BUSY && this.parser.finish()) {
      this.complete(0);
      return;
    }
    if (this.state === BUSY)
      this.failCurrent(socketError(this.parser.started ? 'other side closed mid-response' : 'other side closed'));
    else if (this.state === CONNECTING) this.connectFailed(socketError('other side closed while connecting'));
    else this.destroy();
  }

  private onError(err: Error): void {
    this.lastError = err;
    // A connect error is passed as it is (ECONNREFUSED…), as undici does; later ones are socket errors.
    if (this.state === CONNECTING) this.connectFailed(err);
    else if (this.state === BUSY) this.failCurrent(socketError(err.message, err));
    else this.destroy();
  }

  private onClose(): void {
    if (this.state === BUSY) this.failCurrent(socketError('other side closed', this.lastError));
    else if (this.state === CONNECTING) this.connectFailed(socketError('closed while connecting', this.lastError));
    else this.destroy();
    this.host.gone(this);
  }

  /** Every way a connect attempt can end badly reports once, so a waiting request hears of it. */
  private connectFailed(err: Error): void {
    this.state = CLOSED;
    this.timer.stop();
    this.socket.destroy();
    this.host.connectFailed(this, err);
  }

  // BodyOwner: the streamed request body's reports.

  bodyProgress(): void {
    if (!this.parser.started) this.timer.arm(this.headersTimeout(), performance.now());
  }

  bodyFailed(err: Error): void {
    this.abortCurrent(err);
  }
}
