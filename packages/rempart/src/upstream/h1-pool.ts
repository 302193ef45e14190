import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import type { Dispatcher } from 'undici';
import { BUSY, CONNECTING, type ConnectionHost, H1Connection, IDLE, type OwnReads } from './h1-connection.ts';
import { CODES, UpstreamError } from './h1-errors.ts';
import { PoolRequest, type RequestQueue } from './h1-pool-request.ts';
import { prepareRequest } from './h1-request-head.ts';

// Rempart's HTTP/1.1 client for one origin: the part of undici's Pool the gateway uses (dispatch with the
// onRequestStart … onResponseEnd | onResponseError handler contract, stats, close, destroy), without its
// per-request costs. At most `connections` sockets, one request per socket at a time (no pipelining); idle
// sockets are reused last-in first-out, capped, unref'd and dropped before the origin's Keep-Alive hint.
// Requests beyond `connections` wait in a FIFO here, bounded by `maxPending` (then refused with
// REMPART_UPSTREAM_QUEUE_FULL); upstreams.ts keeps its own queue for forwards, so only the micro-cache's
// fetches can wait here. A waiting request has no timer of its own: headersTimeout starts once it is sent.

export interface H1PoolOptions {
  /** Sockets to the origin at most (connecting, busy and idle). Default 16. */
  connections?: number;
  connectTimeout?: number;
  /** From the request sent (or its body's last byte) to the final response head; 0 disables. */
  headersTimeout?: number;
  /** Longest silence between two body chunks of the response; 0 disables. */
  bodyTimeout?: number;
  /** Idle socket lifetime when the origin gives no shorter Keep-Alive hint. */
  keepAliveTimeout?: number;
  /** Idle sockets kept at most. Default: connections. */
  maxIdle?: number;
  /** Requests waiting for a socket at most. */
  maxPending?: number;
  /** Bound of a response head (status line and fields, 1xx heads included) and of its trailers. */
  maxHeaderSize?: number;
  /** Extra TLS options for https origins (ca, rejectUnauthorized…). */
  tls?: ConnectionOptions;
}

export interface H1PoolStats {
  /** Open sockets (idle or busy). */
  connected: number;
  /** Open sockets without a request. */
  free: number;
  /** Requests waiting for a socket. */
  pending: number;
  /** Requests on a socket. */
  running: number;
  size: number;
}

/** Drop an idle socket this long before the origin's Keep-Alive timeout, so we never write into its close. */
const KEEP_ALIVE_MARGIN_MS = 1_000;

export class H1Pool implements ConnectionHost, RequestQueue {
  readonly connections: number;
  readonly connectTimeout: number;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  readonly keepAliveTimeout: number;
  readonly maxIdle: number;
  readonly maxPending: number;
  readonly maxHeaderSize: number;
  private readonly hostname: string;
  private readonly port: number;
  private readonly secure: boolean;
  private readonly defaultHost: string;
  private readonly tlsOptions: ConnectionOptions | undefined;
  private tlsSession: Buffer | undefined = undefined;
  private readonly all = new Set<H1Connection>();
  /** Idle sockets; the last pushed is the next used. */
  private readonly free: H1Connection[] = [];
  private connecting = 0;
  private busy = 0;
  private head: PoolRequest | undefined = undefined;
  private tail: PoolRequest | undefined = undefined;
  private pending = 0;
  private closing = false;
  private destroyed = false;
  private sweeping = false;
  private closeWaiters: (() => void)[] = [];

  constructor(origin: string | URL, o: H1PoolOptions = {}) {
    const url = typeof origin === 'string' ? new URL(origin) : origin;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported origin ${url.href}`);
    this.secure = url.protocol === 'https:';
    this.hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = url.port === '' ? (this.secure ? 443 : 80) : Number(url.port);
    this.defaultHost = url.host;
    this.connections = o.connections ?? 16;
    this.connectTimeout = o.connectTimeout ?? 10_000;
    this.headersTimeout = o.headersTimeout ?? 300_000;
    this.bodyTimeout = o.bodyTimeout ?? 300_000;
    this.keepAliveTimeout = o.keepAliveTimeout ?? 4_000;
    this.maxIdle = o.maxIdle ?? this.connections;
    this.maxPending = o.maxPending ?? 10_000;
    this.maxHeaderSize = o.maxHeaderSize ?? 64 * 1024;
    this.tlsOptions = o.tls;
  }

  get stats(): H1PoolStats {
    let connected = 0;
    for (const c of this.all) if (c.state === IDLE || c.state === BUSY) connected++;
    return {
      connected,
      free: this.free.length,
      pending: this.pending,
      running: this.busy,
      size: this.pending + this.busy,
    };
  }

  /** undici's Dispatcher.dispatch: the handler hears about this request, and only through its callbacks. */
  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const req = new PoolRequest(opts, handler);
    req.start();
    if (req.settled) return false;
    if (this.closing) {
      const code = this.destroyed ? CODES.destroyed : CODES.closed;
      req.fail(new UpstreamError(code, this.destroyed ? 'pool destroyed' : 'pool closed'));
      return false;
    }
    try {
      prepareRequest(req, opts, this.defaultHost);
    } catch (err) {
      req.fail(err as Error);
      return false;
    }
    const conn = this.free.pop();
    if (conn !== undefined) {
      this.busy++;
      conn.start(req);
      return true;
    }
    if (this.pending >= this.maxPending) {
      req.fail(new UpstreamError(CODES.queueFull, `more than ${this.maxPending} requests waiting`));
      return false;
    }
    this.enqueue(req);
    this.openConnections();
    return true;
  }

  /** Lets queued and running requests finish, then closes every socket. */
  close(): Promise<void> {
    this.closing = true;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.closeWaiters.push(resolve);
    this.finishClose();
    return promise;
  }

  /** Fails every request (UND_ERR_DESTROYED unless `err`) and cuts every socket now. */
  destroy(err?: Error): Promise<void> {
    this.closing = true;
    this.destroyed = true;
    const e = err ?? new UpstreamError(CODES.destroyed, 'pool destroyed');
    for (let r = this.dequeue(); r !== undefined; r = this.dequeue()) r.fail(e);
    for (const c of [...this.all]) c.close(e);
    this.finishClose();
    return Promise.resolve();
  }

  // ConnectionHost

  connected(conn: H1Connection): void {
    this.connecting--;
    this.handOut(conn);
  }

  connectFailed(_conn: H1Connection, err: Error): void {
    this.connecting--;
    // One failed attempt fails the oldest waiting request, so waiters hear of a dead origin one by one.
    const next = this.dequeue();
    this.openConnections();
    next?.fail(err);
    this.finishClose();
  }

  released(conn: H1Connection): void {
    this.busy--;
    this.handOut(conn);
  }

  closed(conn: H1Connection, was: number): void {
    if (was === BUSY) this.busy--;
    else if (was === CONNECTING) this.connecting--;
    else if (was === IDLE) {
      const i = this.free.lastIndexOf(conn);
      if (i >= 0) this.free.splice(i, 1);
    }
    this.finishClose();
  }

  gone(conn: H1Connection): void {
    // Counted until its socket is really closed, so the origin never sees more than `connections` at once.
    this.all.delete(conn);
    this.openConnections();
  }

  // RequestQueue

  unqueue(req: PoolRequest): void {
    if (req.queue !== this) return;
    if (req.prev) req.prev.next = req.next;
    else this.head = req.next;
    if (req.next) req.next.prev = req.prev;
    else this.tail = req.prev;
    req.prev = req.next = undefined;
    req.queue = null;
    this.pending--;
  }

  private enqueue(req: PoolRequest): void {
    req.queue = this;
    req.prev = this.tail;
    if (this.tail) this.tail.next = req;
    else this.head = req;
    this.tail = req;
    this.pending++;
  }

  private dequeue(): PoolRequest | undefined {
    const req = this.head;
    if (req !== undefined) this.unqueue(req);
    return req;
  }

  /** A connected socket takes the oldest waiting request, or goes idle. */
  private handOut(conn: H1Connection): void {
    const next = this.dequeue();
    if (next !== undefined) {
      this.busy++;
      conn.start(next);
      return;
    }
    const hint = conn.keepAliveMs;
    const idleMs = hint >= 0 ? Math.min(this.keepAliveTimeout, hint - KEEP_ALIVE_MARGIN_MS) : this.keepAliveTimeout;
    if (this.closing || idleMs <= 0 || this.free.length >= this.maxIdle) {
      conn.destroy();
      return;
    }
    conn.idle(idleMs);
    this.free.push(conn);
    this.finishClose();
  }

  /** Opens sockets for waiting requests that no connect in progress will serve, within `connections`. */
  private openConnections(): void {
    while (this.pending > this.connecting && this.all.size < this.connections && !this.destroyed) this.open();
  }

  private open(): void {
    this.connecting++;
    this.all.add(new H1Connection(this, this.openSocket, this.secure ? 'secureConnect' : 'connect'));
  }

  private readonly openSocket = (reads: OwnReads | undefined): Socket => {
    let socket: Socket;
    if (this.secure) {
      socket = tlsConnect({
        host: this.hostname,
        port: this.port,
        servername: isIP(this.hostname) === 0 ? this.hostname : undefined,
        ALPNProtocols: ['http/1.1'],
        session: this.tlsSession,
        ...this.tlsOptions,
      });
      socket.on('session', (s: Buffer) => {
        this.tlsSession = s;
      });
    } else socket = netConnect({ host: this.hostname, port: this.port, onread: reads });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };

  private finishClose(): void {
    if (!this.closing || this.pending > 0 || this.busy > 0 || this.sweeping) return;
    this.sweeping = true;
    for (const c of this.all) c.destroy();
    this.sweeping = false;
    const waiters = this.closeWaiters;
    this.closeWaiters = [];
    for (const w of waiters) w();
  }
}
