import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { CODES, UpstreamError } from './h1-errors.ts';
import type { ForwardHead, ForwardHeadSource } from './h1-forward-lines.ts';
import { BODY_NONE, type PreparedRequest } from './h1-request-head.ts';

// One dispatched request: its prepared head and body, and the controller handed to the handler (abort,
// pause, resume). The single object made per request; it guarantees the handler's lifecycle: exactly one of
// onResponseEnd / onResponseError, and nothing after it.

/** What a request needs from the connection carrying it and from the pool queueing it. */
export interface RequestCarrier {
  abortRequest(req: PoolRequest, reason: Error): void;
  forwardHead(): ForwardHead | undefined;
  pauseReading(): void;
  resumeReading(): void;
}

export interface RequestQueue {
  unqueue(req: PoolRequest): void;
}

const NO_CONTEXT = Object.freeze({});
const NO_TRAILERS: IncomingHttpHeaders = Object.freeze({}) as IncomingHttpHeaders;

export class PoolRequest implements Dispatcher.DispatchController, PreparedRequest, ForwardHeadSource {
  readonly handler: Dispatcher.DispatchHandler;
  readonly isHead: boolean;
  /** Per-request timeouts from the dispatch options; -1 means the pool's. */
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  head: Buffer | null = null;
  bodyKind = BODY_NONE;
  bodyLength = -1;
  bodyBuffer: Buffer | null = null;
  bodyStream: Readable | null = null;
  /** The connection carrying it, once started. */
  conn: RequestCarrier | null = null;
  /** The pool queue holding it while it waits for a connection. */
  queue: RequestQueue | null = null;
  prev: PoolRequest | undefined = undefined;
  next: PoolRequest | undefined = undefined;
  settled = false;
  private abortedFlag = false;
  private pausedFlag = false;
  private abortReason: Error | null = null;

  constructor(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
    this.handler = handler;
    this.isHead = opts.method === 'HEAD';
    this.headersTimeout = opts.headersTimeout ?? -1;
    this.bodyTimeout = opts.bodyTimeout ?? -1;
  }

  get aborted(): boolean {
    return this.abortedFlag;
  }

  get paused(): boolean {
    return this.pausedFlag;
  }

  get reason(): Error | null {
    return this.abortReason;
  }

  /** Cancels the request: the origin socket is destroyed (the origin sees the close), then onResponseError. */
  abort(reason?: Error): void {
    if (this.settled) return;
    const err = reason ?? new UpstreamError(CODES.aborted, 'request aborted');
    this.abortedFlag = true;
    this.abortReason = err;
    if (this.conn !== null) this.conn.abortRequest(this, err);
    else {
      this.queue?.unqueue(this);
      this.fail(err);
    }
  }

  /** Stops reading the origin socket (bytes already received in the current chunk are still delivered). */
  pause(): void {
    if (this.settled || this.pausedFlag) return;
    this.pausedFlag = true;
    this.conn?.pauseReading();
  }

  resume(): void {
    if (this.settled || !this.pausedFlag) return;
    this.pausedFlag = false;
    this.conn?.resumeReading();
  }

  /** The final head's lines as a proxy forwards them, while the handler's onResponseStart runs. */
  forwardHead(): ForwardHead | undefined {
    return this.conn?.forwardHead();
  }

  /** Lets the handler see its controller; a throw there fails the request. */
  start(): void {
    try {
      this.handler.onRequestStart?.(this, NO_CONTEXT);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  responseStart(status: number, headers: IncomingHttpHeaders, reason: string): void {
    this.handler.onResponseStart?.(this, status, headers, reason);
  }

  data(chunk: Buffer): void {
    this.handler.onResponseData?.(this, chunk);
  }

  end(trailers: IncomingHttpHeaders | null): void {
    if (this.settled) return;
    this.settled = true;
    try {
      this.handler.onResponseEnd?.(this, trailers ?? NO_TRAILERS);
    } catch {
      // Settled already: as undici does, a handler's own failure after the end is not the request's.
    }
  }

  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    try {
      this.handler.onResponseError?.(this, err);
    } catch {
      // Same as end(): nothing is left to tell.
    }
  }
}
