import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, { type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import net, { type AddressInfo, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { LimitsConfig, ListenerConfig } from '../config/schema.ts';
import { newDecisionId } from '../core/decision-id.ts';
import { type CidrSet, normaliseIp } from '../core/ip-prefix.ts';
import type { H1Request } from '../http1/request.ts';
import type { H1Response } from '../http1/response.ts';
import type { ClientCert } from '../pipeline/access/decide.ts';
import { rawErrorResponse } from '../pipeline/respond.ts';
import { ConnGuard } from './conn-guard.ts';
import { H1Server } from './h1-server.ts';
import { h2ServerOptions, watchSession } from './h2-budget.ts';
import { handleClientError, isH2Request } from './hygiene.ts';
import { PROXY_V2_MAX_HEADER, parseProxyV2 } from './proxy-protocol.ts';
import { httpTimeouts } from './slow-guard.ts';
import { tlsPrint } from './tls-print.ts';

// One public listener. A plain net.Server accepts every TCP connection so the connection caps and the
// PROXY protocol run before any TLS or HTTP work; accepted sockets are then handed to Rempart's own HTTP/1.1
// engine (protocol http, h1/) or to Node's HTTP/2 secure server that also speaks HTTP/1.1 over TLS (https).
// The own engine exists for speed: node:http cost ~16 µs of CPU per request here, a socket-level parser ~8.
// With tls.client_ca the TLS server asks for a client certificate without requiring one; a connection whose
// certificate chains to that CA carries the fact (ConnInfo.clientCert) to each of its requests.

export interface ConnInfo {
  /** Client address, normalised; taken from the PROXY v2 header when enabled and the peer is trusted. */
  peerIp: string;
  tls: boolean;
  listener: string;
  /** The connection's client certificate chains to tls.client_ca (https listeners with client_ca only). */
  clientCert?: ClientCert;
  /** The TLS handshake's facts hashed (tls-print.ts); https listeners only. */
  tlsPrint?: number;
}

export type AnyRequest = IncomingMessage | Http2ServerRequest | H1Request;
export type AnyServerResponse = ServerResponse | Http2ServerResponse | H1Response;
export type ListenerLog = (event: string, fields: object) => void;

export interface PublicListenerOptions {
  trustedProxies: CidrSet;
  onRequest: (req: AnyRequest, res: AnyServerResponse, info: ConnInfo) => void;
  log?: ListenerLog;
  /** Several workers listen on the same port (SO_REUSEPORT): the kernel spreads connections over them. */
  reusePort?: boolean;
}

export interface PublicListener {
  readonly name: string;
  listen(): Promise<AddressInfo>;
  /** Bound address once listening. */
  address(): AddressInfo | undefined;
  /** Stops accepting, lets in-flight requests finish for up to graceMs, then destroys what is left. */
  close(graceMs: number): Promise<void>;
  connectionCount(): number;
  updateLimits(limits: LimitsConfig): void;
  stats(): ListenerStats;
}

export interface ListenerStats {
  connections: number;
  refusedOverTotal: number;
  refusedOverIp: number;
  proxyRejected: number;
  h2SessionsClosedForAbuse: number;
}

/** Time allowed for the PROXY header to arrive; a balancer sends it with the first packet. */
const PROXY_HEADER_TIMEOUT_MS = 5_000;

export function createPublicListener(
  cfg: ListenerConfig,
  initialLimits: LimitsConfig,
  opts: PublicListenerOptions,
): PublicListener {
  let limits = initialLimits;
  const isTls = cfg.protocol === 'https';
  const guard = new ConnGuard({ maxTotal: limits.max_connections, maxPerIp: limits.max_connections_per_ip });
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  // Info per handed-over stream (raw socket, or the PROXY wrapper in front of TLS).
  const infoOf = new WeakMap<object, ConnInfo>();
  const counters = { proxyRejected: 0, h2Abuse: 0 };
  let draining = false;
  const log = opts.log;

  const handler = (req: AnyRequest, res: AnyServerResponse) => {
    const info = requestInfo(req);
    if (draining && !isH2Request(req)) (res as ServerResponse).shouldKeepAlive = false;
    opts.onRequest(req, res, info);
  };

  function fallbackInfo(s: { remoteAddress?: string }): ConnInfo {
    return { peerIp: normaliseIp(s.remoteAddress ?? ''), tls: isTls, listener: cfg.name };
  }

  const verifiesClients = isTls && cfg.tls?.client_ca !== undefined;

  /** The TLS socket's transport is the object we handed over (via Node's TLSWrap parent link). */
  function tlsInfo(tlsSocket: Socket): ConnInfo {
    const parent = (tlsSocket as Socket & { _handle?: { _parentWrap?: { stream?: object } } })._handle?._parentWrap;
    const found = parent ? (infoOf.get(parent) ?? (parent.stream && infoOf.get(parent.stream))) : undefined;
    const info = found ?? fallbackInfo(tlsSocket);
    // Read once per connection, after the handshake (first request, or the HTTP/2 session).
    const print = tlsPrint(tlsSocket as TLSSocket);
    if (!verifiesClients || (tlsSocket as TLSSocket).authorized !== true) return { ...info, tlsPrint: print };
    return { ...info, tlsPrint: print, clientCert: { listener: cfg.name, cn: subjectCn(tlsSocket as TLSSocket) } };
  }

  function requestInfo(req: AnyRequest): ConnInfo {
    // By object shape, not by version number: "GET / HTTP/2.0" on an HTTP/1 port parses as major 2.
    if (isH2Request(req)) {
      const session = (req as Http2ServerRequest).stream.session as Http2Session;
      return infoOf.get(session) ?? fallbackInfo(req.socket);
    }
    const s = req.socket as Socket;
    let info = infoOf.get(s);
    if (!info) {
      info = isTls ? tlsInfo(s) : fallbackInfo(s);
      infoOf.set(s, info);
    }
    return info;
  }

  let server: http.Server | http2.Http2SecureServer | undefined;
  let h1: H1Server<ConnInfo> | undefined;
  if (isTls) {
    if (!cfg.tls) throw new Error(`listener "${cfg.name}": protocol https needs tls.cert and tls.key`);
    const s = http2.createSecureServer(
      {
        ...h2ServerOptions(limits),
        allowHTTP1: true,
        cert: readFileSync(cfg.tls.cert),
        key: readFileSync(cfg.tls.key),
        // Asked, not required: a browser without a certificate connects as usual (and is not allow-listed).
        ...(cfg.tls.client_ca === undefined
          ? {}
          : { ca: readFileSync(cfg.tls.client_ca), requestCert: true, rejectUnauthorized: false }),
        ALPNProtocols: ['h2', 'http/1.1'],
        maxHeaderSize: limits.max_header_bytes,
        handshakeTimeout: limits.header_timeout_ms,
        // HTTP/1.1 over TLS uses the same slow-header bookkeeping as the cleartext server.
        connectionsCheckingInterval: httpTimeouts(limits).connectionsCheckingInterval,
      } as http2.SecureServerOptions,
      handler,
    );
    s.on('session', (session: Http2Session) => {
      const info = tlsInfo(session.socket as unknown as Socket);
      infoOf.set(session, info);
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
      watchSession(
        session,
        () => limits.h2.max_resets_per_10s,
        (reason) => {
          counters.h2Abuse++;
          log?.('h2_session_closed', { reason, ip: info.peerIp, listener: cfg.name });
        },
      );
    });
    s.on('tlsClientError', (_err: Error, tlsSocket: Socket) => tlsSocket.destroy());
    server = s;
  } else {
    h1 = new H1Server<ConnInfo>(limits, {
      onRequest: opts.onRequest,
      log,
      peerOf: (info) => info.peerIp,
    });
  }
  if (server !== undefined) {
    const s = server;
    applyHttpLimits(s, limits);
    // CONNECT would otherwise be dropped silently by Node (no listener): answer it like any refused request.
    s.on('connect', (_req: IncomingMessage, socket: Socket) => {
      socket.end(rawErrorResponse(400, newDecisionId()));
    });
    s.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => handleClientError(err, socket, log));
    // Node starts its header/request timeout bookkeeping on 'listening'; our net.Server does the listening.
    s.emit('listening');
  }

  function handOver(stream: Socket | Duplex, info: ConnInfo): void {
    if (h1 !== undefined) {
      // Cleartext only: the stream is always the accepted socket itself.
      h1.handle(stream as Socket, info);
      (stream as Socket).resume();
      return;
    }
    infoOf.set(stream, info);
    server?.emit('connection', stream);
    if (stream instanceof net.Socket) stream.resume();
  }

  function readProxyHeader(socket: Socket, peer: string, attribute: (client: string) => boolean): void {
    let buf: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => reject('timeout'), PROXY_HEADER_TIMEOUT_MS);
    timer.unref();
    function reject(reason: string): void {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      counters.proxyRejected++;
      log?.('proxy_protocol_rejected', { reason, peer, listener: cfg.name });
      socket.destroy();
    }
    function onData(chunk: Buffer): void {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const h = parseProxyV2(buf);
      if (h.kind === 'incomplete') {
        if (buf.length > PROXY_V2_MAX_HEADER) reject('too long');
        return;
      }
      if (h.kind === 'invalid') {
        reject(h.reason);
        return;
      }
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.pause();
      const peerIp = h.command === 'proxy' && h.source ? normaliseIp(h.source.ip) : peer;
      if (!attribute(peerIp)) {
        socket.destroy();
        return;
      }
      const info: ConnInfo = { peerIp, tls: isTls, listener: cfg.name };
      const rest = buf.subarray(h.length);
      if (!isTls) {
        if (rest.length > 0) socket.unshift(rest);
        handOver(socket, info);
        return;
      }
      // TLS would read from the kernel handle and miss bytes already pulled into JS: feed it through a
      // small stream wrapper instead (PROXY + TLS connections only).
      handOver(wrapWithPrefix(socket, rest), info);
    }
    socket.on('data', onData);
  }

  const front = net.createServer({ noDelay: true }, (socket) => {
    const peer = normaliseIp(socket.remoteAddress ?? '');
    // Behind a trusted PROXY balancer the transport peer is the balancer: per-IP caps wait for the header.
    const viaProxy = cfg.proxy_protocol && opts.trustedProxies.match(peer) !== undefined;
    let key: string | undefined = viaProxy ? undefined : peer;
    if (guard.acquire(key) !== 'accept') {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      guard.release(key);
    });
    socket.on('error', () => socket.destroy());
    if (draining) {
      socket.destroy();
      return;
    }
    if (!cfg.proxy_protocol) {
      handOver(socket, { peerIp: peer, tls: isTls, listener: cfg.name });
      return;
    }
    if (!viaProxy) {
      counters.proxyRejected++;
      log?.('proxy_protocol_untrusted', { peer, listener: cfg.name });
      socket.destroy();
      return;
    }
    readProxyHeader(socket, peer, (client) => {
      if (guard.attribute(client) !== 'accept') return false;
      key = client;
      return true;
    });
  });

  return {
    name: cfg.name,
    listen() {
      return new Promise((resolve, reject) => {
        front.once('error', reject);
        front.listen({ port: cfg.port, host: cfg.host, reusePort: opts.reusePort === true }, () => {
          front.removeListener('error', reject);
          resolve(front.address() as AddressInfo);
        });
      });
    },
    async close(graceMs) {
      draining = true;
      if (h1 !== undefined) h1.draining = true;
      const closed = new Promise<void>((r) => front.close(() => r()));
      h1?.closeIdleConnections();
      for (const s of sessions) s.close();
      const deadline = Date.now() + graceMs;
      while (sockets.size > 0 && Date.now() < deadline) {
        h1?.closeIdleConnections();
        (server as unknown as { closeIdleConnections?: () => void } | undefined)?.closeIdleConnections?.();
        await new Promise((r) => setTimeout(r, 25));
      }
      for (const s of sockets) s.destroy();
      for (const s of sessions) s.destroy();
      // Stops the timeout bookkeeping intervals.
      h1?.close();
      server?.close();
      await closed;
      // 'close' events of destroyed sockets land a tick later; wait for the count to settle (bounded).
      for (let i = 0; i < 100 && sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    },
    address: () => (front.address() as AddressInfo | null) ?? undefined,
    connectionCount: () => guard.total,
    updateLimits(next) {
      limits = next;
      guard.setCaps({ maxTotal: next.max_connections, maxPerIp: next.max_connections_per_ip });
      h1?.setLimits(next);
      if (server !== undefined) applyHttpLimits(server, next);
    },
    stats: () => ({
      connections: guard.total,
      refusedOverTotal: guard.refused['over-total'],
      refusedOverIp: guard.refused['over-ip'],
      proxyRejected: counters.proxyRejected,
      h2SessionsClosedForAbuse: counters.h2Abuse,
    }),
  };
}

function applyHttpLimits(server: http.Server | http2.Http2SecureServer, limits: LimitsConfig): void {
  const t = httpTimeouts(limits);
  const s = server as http.Server;
  s.headersTimeout = t.headersTimeout;
  s.requestTimeout = t.requestTimeout;
  s.keepAliveTimeout = t.keepAliveTimeout;
  s.maxRequestsPerSocket = limits.max_requests_per_socket;
  (s as unknown as { maxHeaderSize: number }).maxHeaderSize = limits.max_header_bytes;
  if (!(server instanceof http.Server)) {
    // An HTTP/2 session with no frames for this long is closed (Node has no header timeout for h2).
    (server as http2.Http2SecureServer).setTimeout(t.requestTimeout || 30_000);
    (server as http2.Http2SecureServer).updateSettings({
      maxConcurrentStreams: limits.h2.max_concurrent_streams,
      maxHeaderListSize: limits.h2.max_header_list_bytes,
    });
  }
}

/** The first subject CN of the peer certificate, at most 64 characters (X.509's bound); "" when none. */
function subjectCn(s: TLSSocket): string {
  const cn: unknown = s.getPeerCertificate().subject?.CN;
  const first = Array.isArray(cn) ? cn[0] : cn;
  return typeof first === 'string' ? first.slice(0, 64) : '';
}

/** A duplex over `socket` that first yields `prefix` (bytes read past the PROXY header). */
function wrapWithPrefix(socket: Socket, prefix: Buffer): Duplex {
  const d = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, encoding, cb) {
      socket.write(chunk, encoding, cb);
    },
    final(cb) {
      socket.end(cb);
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!d.push(chunk)) socket.pause();
  });
  socket.once('end', () => d.push(null));
  socket.once('close', () => d.destroy());
  if (prefix.length > 0) d.push(prefix);
  return d;
}
