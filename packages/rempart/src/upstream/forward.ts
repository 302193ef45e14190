import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Dispatcher } from 'undici';
import type { Clock } from '../core/clock.ts';
import type { AnyRequest } from '../listeners/types.ts';
import { type AnyResponse, addGatewayCookie, writeError } from '../pipeline/respond.ts';
import type { RequestCtx } from '../pipeline/types.ts';
import type { ForwardHead, ForwardHeadSource } from './h1-forward-lines.ts';
import { buildResponseHeaders, buildTrailers } from './response-headers.ts';
import { errorCode, shouldRetry } from './retry.ts';

// One proxied request: a dispatch handler (undici's contract, served by h1-pool.ts) that streams the origin's
// answer into the client response with backpressure both ways, and settles exactly once with a ForwardResult.
// The gateway writes its own 502/504 only while no header was sent; later failures cut the client stream, never
// a truncated "success".

export type Outcome = 'ok' | 'upstream-error' | 'timeout' | 'client-aborted' | 'unhealthy';

export interface ForwardResult {
  readonly outcome: Outcome;
  /** Status the client got (origin's, or the gateway's 502/503/504); absent when the client left first. */
  readonly status: number | undefined;
  /** clock.mono() from forward() to the end of the answer. */
  readonly upstreamMs: number;
  readonly retried: number;
}

/**
 * Told of a forward's progress. One object serves every request (no closure per request), so each call
 * receives the request's ctx and response rather than closing over them.
 */
export interface ForwardHooks {
  /** The origin's final status line arrived (admission control samples latency here). */
  onResponseStart?(ctx: RequestCtx, status: number, msToHeaders: number, headers: IncomingHttpHeaders): void;
  /** The forward settled, exactly once: answer complete or cut, refused, failed, or the client left. */
  onSettled?(ctx: RequestCtx, res: AnyResponse, r: ForwardResult): void;
}

/** What a job needs from its upstream; implemented by upstreams.ts. */
export interface JobHost {
  readonly name: string;
  /** Rempart's H1Pool in the gateway; any undici Dispatcher also fits. */
  readonly dispatcher: Pick<Dispatcher, 'dispatch'>;
  readonly clock: Clock;
  readonly retries: number;
  /** Called once when the job settles; `dispatched` says whether it held an origin connection slot. */
  finish(job: ForwardJob, outcome: Outcome, status: number | undefined, dispatched: boolean): void;
  dequeue(job: ForwardJob): void;
}

/** The HTTP/1.1 engine's response (http1/response.ts) takes an origin's checked field lines whole. */
interface RawHeadWriter {
  writeHeadRaw(status: number, fields: string, contentLength: number, hasDate: boolean, cookie?: string): unknown;
}

function forwardHeadOf(controller: Dispatcher.DispatchController): ForwardHead | undefined {
  const source = controller as Partial<ForwardHeadSource>;
  return source.forwardHead === undefined ? undefined : source.forwardHead();
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const NGHTTP2_INTERNAL_ERROR = 2;

class ClientGoneError extends Error {
  code = 'REMPART_CLIENT_ABORTED';
}

/** Cuts the client's stream: h1 closes the socket, h2 resets only this stream. */
export function abortClient(res: AnyResponse): void {
  const stream = (res as Http2ServerResponse).stream as Http2ServerResponse['stream'] | undefined;
  if (stream !== undefined) {
    if (!stream.destroyed) stream.close(NGHTTP2_INTERNAL_ERROR);
    return;
  }
  (res as ServerResponse).destroy();
}

/** Does the client request carry a body? Decided from the headers, without reading it. */
export function hasRequestBody(req: AnyRequest): boolean {
  const stream = (req as Http2ServerRequest).stream as Http2ServerRequest['stream'] | undefined;
  if (stream !== undefined) return !stream.endAfterHeaders && !req.readableEnded;
  const h = req.headers;
  if (h['transfer-encoding'] !== undefined) return true;
  const len = h['content-length'];
  return len !== undefined && len !== '0';
}

/** A settled job is its own ForwardResult: no result object per request. */
export class ForwardJob implements Dispatcher.DispatchHandler, ForwardResult {
  readonly host: JobHost;
  readonly req: AnyRequest;
  readonly res: AnyResponse;
  readonly ctx: RequestCtx;
  readonly hooks: ForwardHooks | undefined;
  readonly opts: Dispatcher.DispatchOptions;
  readonly hasBody: boolean;
  /** This request is the half-open trial of an ejected upstream. */
  readonly trial: boolean;
  readonly startMono: number;
  /** Queue links (upstreams.ts keeps waiting jobs in an intrusive FIFO). */
  prev: ForwardJob | undefined = undefined;
  next: ForwardJob | undefined = undefined;
  deadline = 0;
  state: 'new' | 'queued' | 'running' | 'done' = 'new';
  outcome: Outcome = 'ok';
  status: number | undefined = undefined;
  upstreamMs = 0;
  retried = 0;
  private controller: Dispatcher.DispatchController | undefined = undefined;
  private responseStarted = false;
  private listening = false;
  private readonly onClientClose: () => void;
  private onDrain: (() => void) | undefined = undefined;

  constructor(
    host: JobHost,
    req: AnyRequest,
    res: AnyResponse,
    ctx: RequestCtx,
    hooks: ForwardHooks | undefined,
    opts: Dispatcher.DispatchOptions,
    trial: boolean,
    startMono: number,
  ) {
    this.host = host;
    this.req = req;
    this.res = res;
    this.ctx = ctx;
    this.hooks = hooks;
    this.opts = opts;
    this.hasBody = opts.body != null;
    this.trial = trial;
    this.startMono = startMono;
    this.onClientClose = () => this.clientClosed();
    res.on('close', this.onClientClose);
    this.listening = true;
  }

  /** Sends (or re-sends, on retry) the request to the origin. */
  dispatch(): void {
    this.state = 'running';
    this.controller = undefined;
    this.responseStarted = false;
    try {
      this.host.dispatcher.dispatch(this.opts, this);
    } catch (err) {
      this.failed(err as Error);
    }
  }

  /** Waited too long in the gateway's queue for a free origin connection. */
  expire(): void {
    if (this.state !== 'queued') return;
    writeError(this.res, this.ctx, 504);
    this.complete('timeout', 504);
  }

  /** Refused without being sent (gateway closing, queue flushed). */
  refuse(status: number, retryAfterS: number): void {
    if (this.state === 'done') return;
    writeError(this.res, this.ctx, status, { retryAfterS });
    this.complete('unhealthy', status);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Settled while the pool still held it (client gone): free the origin socket at once.
    if (this.state === 'done') controller.abort(new ClientGoneError('client aborted'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (this.state === 'done') {
      controller.abort(new ClientGoneError('client aborted'));
      return;
    }
    if (statusCode < 200) {
      // 103 Early Hints carry preload links worth passing on; 100 Continue was already answered by Node.
      if (statusCode === 103 && headers.link !== undefined && !this.res.headersSent) {
        try {
          (this.res as ServerResponse).writeEarlyHints({ link: headers.link });
        } catch {
          // A client that cannot take hints simply does not get them.
        }
      }
      return;
    }
    this.responseStarted = true;
    this.status = statusCode;
    this.hooks?.onResponseStart?.(this.ctx, statusCode, this.host.clock.mono() - this.startMono, headers);
    try {
      // HTTP/1.1 clients of our own engine get the origin's lines copied as they came (H1Pool offers them);
      // HTTP/2 and node:http responses are given a headers object.
      const raw =
        (this.res as Partial<RawHeadWriter>).writeHeadRaw === undefined ? undefined : forwardHeadOf(controller);
      if (raw !== undefined)
        (this.res as RawHeadWriter).writeHeadRaw(
          statusCode,
          raw.fields,
          raw.contentLength,
          raw.hasDate,
          this.ctx.setCookie,
        );
      else
        (this.res as ServerResponse).writeHead(statusCode, addGatewayCookie(buildResponseHeaders(headers), this.ctx));
    } catch (err) {
      // A header Node refuses to send (e.g. invalid on HTTP/2): the answer cannot be relayed faithfully.
      controller.abort(err as Error);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.state === 'done') return;
    if (!(this.res as ServerResponse).write(chunk)) {
      controller.pause();
      // Made at the first backpressure only: most answers fit the socket's buffer at once.
      this.onDrain ??= () => this.controller?.resume();
      this.res.once('drain', this.onDrain);
    }
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    if (this.state === 'done') return;
    const t = buildTrailers(trailers);
    if (t !== undefined) {
      try {
        this.res.addTrailers(t);
      } catch {
        // Trailers that cannot be framed (content-length response) are dropped; the body is complete.
      }
    }
    // Listeners off before end(): the response then has nobody to tell of its 'finish' and 'close' and skips
    // the tick it would spend emitting them (the job settles right below anyway).
    this.detach();
    this.res.end();
    this.complete('ok', this.status);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.state === 'done') return;
    this.failed(err);
  }

  private failed(err: Error): void {
    if (this.clientGone()) {
      this.complete('client-aborted', undefined);
      return;
    }
    const code = errorCode(err);
    if (
      shouldRetry(
        {
          method: this.ctx.method,
          hasBody: this.hasBody,
          responseStarted: this.responseStarted,
          errorCode: code,
          retried: this.retried,
        },
        this.host.retries,
      )
    ) {
      this.retried++;
      this.dispatch();
      return;
    }
    const timeout = code !== undefined && TIMEOUT_CODES.has(code);
    if (this.res.headersSent) {
      abortClient(this.res);
      this.complete(timeout ? 'timeout' : 'upstream-error', this.status);
      return;
    }
    const status = timeout ? 504 : 502;
    writeError(this.res, this.ctx, status);
    this.complete(timeout ? 'timeout' : 'upstream-error', status);
  }

  private clientGone(): boolean {
    const stream = (this.res as Http2ServerResponse).stream as Http2ServerResponse['stream'] | undefined;
    if (stream !== undefined) return stream.destroyed || stream.closed;
    return this.res.destroyed || (this.req.destroyed && !(this.req as IncomingMessage).complete);
  }

  private clientClosed(): void {
    // Our own end() or writeError() settle the job first and remove this listener, so reaching here with the
    // job unsettled means the client left (h2 reports writableFinished even for a reset stream).
    if (this.state === 'done') return;
    if (this.state === 'queued') this.host.dequeue(this);
    const controller = this.controller;
    this.complete('client-aborted', undefined);
    // Cancel the origin request now: the pool destroys that socket, so the origin sees the close.
    controller?.abort(new ClientGoneError('client aborted'));
  }

  private detach(): void {
    if (!this.listening) return;
    this.listening = false;
    this.res.off('close', this.onClientClose);
    if (this.onDrain !== undefined) this.res.off('drain', this.onDrain);
  }

  private complete(outcome: Outcome, status: number | undefined): void {
    const wasRunning = this.state === 'running';
    this.state = 'done';
    this.detach();
    this.outcome = outcome;
    this.status = status;
    this.upstreamMs = this.host.clock.mono() - this.startMono;
    this.host.finish(this, outcome, status, wasRunning);
    this.hooks?.onSettled?.(this.ctx, this.res, this);
  }
}
