import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { type RequestHead, rawHeaderPairs } from './request-head.ts';

// A request of the cleartext HTTP/1.1 listener, shaped like node:http's IncomingMessage where the gateway reads
// it (method, url, headers, version, body as a Readable, complete/destroyed, 'close'). The body is pushed by the
// connection as it arrives; a request without a body ends only when somebody reads it, because ending a Readable
// eagerly costs a tick and most requests (GETs, refusals) are never read.

/** What the request needs from its connection. */
export interface BodySource {
  /** The consumer wants more body: undo a pause taken for backpressure, send 100 Continue once if asked. */
  resumeBody(): void;
  /** The consumer gave up on an unfinished body: the connection cannot be reused. */
  abandonBody(): void;
}

class AbortedError extends Error {
  readonly code = 'ECONNRESET';
}

export class H1Request extends Readable {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly httpVersion: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  readonly headerCount: number;
  /** Header problems the parser left for hygiene to answer (a Transfer-Encoding other than chunked). */
  readonly unframedBody: boolean;
  readonly socket: Socket;
  /** All of the body has arrived (true at once for a request without one). */
  complete: boolean;
  aborted = false;
  readonly trailers: IncomingHttpHeaders = {};
  readonly hasBody: boolean;
  private readonly source: BodySource;
  private readonly headBytes: Buffer;
  private rawPairs: string[] | undefined = undefined;

  constructor(head: RequestHead, headBytes: Buffer, socket: Socket, source: BodySource) {
    super();
    this.method = head.method;
    this.url = head.url;
    this.headers = head.headers;
    this.httpVersionMajor = head.versionMajor;
    this.httpVersionMinor = head.versionMinor;
    this.httpVersion =
      head.versionMajor === 1 && head.versionMinor === 1 ? '1.1' : `${head.versionMajor}.${head.versionMinor}`;
    this.headerCount = head.headerCount;
    this.unframedBody = head.framing === 'unframed';
    this.hasBody = head.framing === 'length' || head.framing === 'chunked';
    this.complete = !this.hasBody;
    this.socket = socket;
    this.source = source;
    this.headBytes = headBytes;
  }

  get connection(): Socket {
    return this.socket;
  }

  /** IncomingMessage.rawHeaders, decoded again from the head on first use (hygiene of this listener skips it). */
  get rawHeaders(): string[] {
    this.rawPairs ??= rawHeaderPairs(this.headBytes, 0, this.headBytes.length);
    return this.rawPairs;
  }

  override _read(): void {
    if (!this.hasBody) {
      this.push(null);
      return;
    }
    this.source.resumeBody();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (!this.complete) {
      this.aborted = true;
      this.source.abandonBody();
    }
    // As node:http: an abort nobody listens for is not an uncaught error.
    cb(this.listenerCount('error') === 0 ? null : err);
  }

  /** The client went away before the whole body arrived. */
  abort(): void {
    if (this.destroyed) return;
    this.destroy(new AbortedError('aborted'));
  }
}
