import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { CODES, UpstreamError } from './h1-errors.ts';

// A streamed request body (the client's request stream) written to the origin socket as it comes: raw under a
// declared Content-Length (checked), else framed as chunked here. The origin socket's backpressure pauses the
// client stream; a client stream that errors or closes early fails the request. One writer per connection,
// its listeners bound once.

/** What the writer reports to its connection. */
export interface BodyOwner {
  /** Some bytes went out: an upload in progress is not a silent origin. */
  bodyProgress(): void;
  /** The body cannot be sent whole: the request must fail and the socket be dropped. */
  bodyFailed(err: Error): void;
}

export class BodyWriter {
  readonly owner: BodyOwner;
  readonly socket: Socket;
  /** The whole body has been written (or there was none). */
  done = true;
  private stream: Readable | null = null;
  private chunked = false;
  private declared = -1;
  private sent = 0;
  private waiting = false;
  private readonly onData: (chunk: Buffer) => void;
  private readonly onEnd: () => void;
  private readonly onError: (err: Error) => void;
  private readonly onClose: () => void;

  constructor(owner: BodyOwner, socket: Socket) {
    this.owner = owner;
    this.socket = socket;
    this.onData = (chunk) => this.data(chunk);
    this.onEnd = () => this.end();
    this.onError = (err) => this.fail(err);
    this.onClose = () => {
      if (!this.done) this.fail(new UpstreamError(CODES.aborted, 'request body closed before its end'));
    };
    socket.on('drain', () => this.drained());
  }

  /** Starts sending `s`; `declared` is its Content-Length, or -1 to send it chunked. */
  start(s: Readable, declared: number): void {
    this.done = false;
    this.sent = 0;
    this.declared = declared;
    this.chunked = declared < 0;
    if (s.readableEnded) {
      this.end();
      return;
    }
    if (s.destroyed) {
      this.fail(new UpstreamError(CODES.aborted, 'request body already closed'));
      return;
    }
    this.stream = s;
    s.on('data', this.onData);
    s.on('end', this.onEnd);
    s.on('error', this.onError);
    s.on('close', this.onClose);
    if (s.isPaused()) s.resume();
  }

  /** Stops listening to the client stream (request over, or failed). */
  detach(): void {
    const s = this.stream;
    if (s === null) return;
    this.stream = null;
    this.waiting = false;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('error', this.onError);
    s.off('close', this.onClose);
  }

  private data(chunk: Buffer): void {
    if (this.stream === null) return;
    this.sent += chunk.length;
    let ok: boolean;
    if (this.chunked) {
      if (chunk.length === 0) return;
      const s = this.socket;
      s.cork();
      s.write(chunk.length.toString(16) + '\r\n', 'latin1');
      s.write(chunk);
      ok = s.write('\r\n', 'latin1');
      s.uncork();
    } else {
      if (this.sent > this.declared) {
        this.fail(new UpstreamError(CODES.requestLength, 'request body longer than its content-length'));
        return;
      }
      ok = this.socket.write(chunk);
    }
    this.owner.bodyProgress();
    if (!ok) {
      this.waiting = true;
      this.stream.pause();
    }
  }

  private end(): void {
    if (this.chunked) this.socket.write('0\r\n\r\n', 'latin1');
    else if (this.sent !== this.declared) {
      this.fail(new UpstreamError(CODES.requestLength, 'request body shorter than its content-length'));
      return;
    }
    this.done = true;
    this.detach();
  }

  private drained(): void {
    if (this.waiting && this.stream !== null) {
      this.waiting = false;
      this.stream.resume();
    }
  }

  private fail(err: Error): void {
    this.detach();
    this.owner.bodyFailed(err);
  }
}
