import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { LimitsConfig } from '../config/schema.ts';
import { newDecisionId } from '../core/decision-id.ts';
import { type ConnectionHost, H1Connection } from '../http1/connection.ts';
import type { H1Request } from '../http1/request.ts';
import type { H1Response } from '../http1/response.ts';
import { rawErrorResponse } from '../pipeline/respond.ts';
import { httpTimeouts } from './slow-guard.ts';

// The cleartext HTTP/1.1 engine of a public listener: owns its connections and one sweep timer that applies
// the header, request and keep-alive timeouts to all of them (Node's http server works the same way, with
// connectionsCheckingInterval), so no timer is armed or cleared per request.

export type H1Handler<Info> = (req: H1Request, res: H1Response, info: Info) => void;
export type H1Log = (event: string, fields: object) => void;

/** How long a refused client may take to read its error before the socket is cut. */
const REFUSAL_LINGER_MS = 1_000;

export class H1Server<Info> implements ConnectionHost {
  maxHeaderBytes = 0;
  maxRequestsPerSocket = 0;
  draining = false;
  private timeouts = { headersTimeout: 0, requestTimeout: 0, keepAliveTimeout: 0, connectionsCheckingInterval: 1_000 };
  private readonly conns = new Set<H1Connection>();
  private timer: NodeJS.Timeout | undefined = undefined;
  private readonly onRequest: H1Handler<Info>;
  private readonly log: H1Log | undefined;
  private readonly peerOf: (info: Info) => string;

  constructor(limits: LimitsConfig, o: { onRequest: H1Handler<Info>; log?: H1Log; peerOf: (info: Info) => string }) {
    this.onRequest = o.onRequest;
    this.log = o.log;
    this.peerOf = o.peerOf;
    this.setLimits(limits);
  }

  setLimits(limits: LimitsConfig): void {
    this.maxHeaderBytes = limits.max_header_bytes;
    this.maxRequestsPerSocket = limits.max_requests_per_socket;
    const t = httpTimeouts(limits);
    const rearm = t.connectionsCheckingInterval !== this.timeouts.connectionsCheckingInterval;
    this.timeouts = t;
    if (rearm && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    this.arm();
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.sweep(), this.timeouts.connectionsCheckingInterval);
    this.timer.unref();
  }

  private sweep(): void {
    const now = performance.now();
    for (const c of this.conns) c.checkTimers(now, this.timeouts);
  }

  now(): number {
    return performance.now();
  }

  handle(socket: Socket, info: Info): void {
    this.conns.add(new H1Connection(socket, this, info));
  }

  dispatch(req: H1Request, res: H1Response, conn: H1Connection): void {
    this.onRequest(req, res, conn.info as Info);
  }

  refuse(conn: H1Connection, status: number, reason: string): void {
    const id = newDecisionId();
    this.log?.('client_error', { status, code: reason, decision_id: id, ip: this.peerOf(conn.info as Info) });
    conn.silenceResponse();
    const s = conn.socket;
    if (s.writable) s.write(rawErrorResponse(status, id));
    conn.closeAfterWrite();
    // destroySoon waits for the client to read; a client that never reads must not keep the socket.
    setTimeout(() => s.destroy(), REFUSAL_LINGER_MS).unref();
  }

  closed(conn: H1Connection): void {
    this.conns.delete(conn);
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  closeIdleConnections(): void {
    for (const c of this.conns) c.closeIfIdle();
  }

  /** Stops the sweep (the listener destroys what is left). */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
