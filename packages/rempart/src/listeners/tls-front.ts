import { readFileSync } from 'node:fs';
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import http2, { type Http2ServerRequest, type Http2Session } from 'node:http2';
import net, { type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { LimitsConfig, ListenerConfig } from '../config/schema.ts';
import { newDecisionId } from '../core/decision-id.ts';
import { normaliseIp } from '../core/ip-prefix.ts';
import { rawErrorResponse } from '../pipeline/respond.ts';
import { h2ServerOptions, watchSession } from './h2-budget.ts';
import { handleClientError, isH2Request } from './hygiene.ts';
import { httpTimeouts } from './slow-guard.ts';
import { tlsPrint } from './tls-print.ts';
import type { AnyRequest, AnyServerResponse, ConnInfo, ListenerLog, OnRequest } from './types.ts';

// The https side of a public listener: Node's HTTP/2 secure server, which also speaks HTTP/1.1 over TLS (ALPN),
// fed with connections the listener's own net.Server accepted. Each connection's facts (ConnInfo) follow it
// from the accept to its TLS socket or HTTP/2 session, where they gain the handshake's print and, with
// tls.client_ca, the client certificate's subject. The certificate is asked, not required: a browser without
// one connects as usual (and is not allow-listed).

export interface TlsFront {
  /** Serves an accepted connection (the socket, or the PROXY wrapper in front of it). */
  handOver(stream: Socket | Duplex, info: ConnInfo): void;
  /** Drain: HTTP/1.1 answers close their connection, HTTP/2 sessions are told to finish (GOAWAY). */
  drain(): void;
  closeIdleConnections(): void;
  /** Destroys what is left of the sessions and stops the timeout bookkeeping. */
  close(): void;
  updateLimits(limits: LimitsConfig): void;
}

export function createTlsFront(
  cfg: ListenerConfig,
  limits: LimitsConfig,
  onRequest: OnRequest,
  hooks: { log?: ListenerLog; onH2Abuse(): void },
): TlsFront {
  const tls = cfg.tls;
  if (!tls) throw new Error(`listener "${cfg.name}": protocol https needs tls.cert and tls.key`);
  const sessions = new Set<Http2Session>();
  // Info per handed-over stream (raw socket, or the PROXY wrapper in front of TLS).
  const infoOf = new WeakMap<object, ConnInfo>();
  const verifiesClients = tls.client_ca !== undefined;
  let draining = false;
  let current = limits;

  function fallbackInfo(s: { remoteAddress?: string }): ConnInfo {
    return { peerIp: normaliseIp(s.remoteAddress ?? ''), tls: true, listener: cfg.name };
  }

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
      info = tlsInfo(s);
      infoOf.set(s, info);
    }
    return info;
  }

  const server = http2.createSecureServer(
    {
      ...h2ServerOptions(limits),
      allowHTTP1: true,
      cert: readFileSync(tls.cert),
      key: readFileSync(tls.key),
      ...(tls.client_ca === undefined
        ? {}
        : { ca: readFileSync(tls.client_ca), requestCert: true, rejectUnauthorized: false }),
      ALPNProtocols: ['h2', 'http/1.1'],
      maxHeaderSize: limits.max_header_bytes,
      handshakeTimeout: limits.header_timeout_ms,
      // HTTP/1.1 over TLS uses the same slow-header bookkeeping as the cleartext server.
      connectionsCheckingInterval: httpTimeouts(limits).connectionsCheckingInterval,
    } as http2.SecureServerOptions,
    (req: AnyRequest, res: AnyServerResponse) => {
      const info = requestInfo(req);
      if (draining && !isH2Request(req)) (res as ServerResponse).shouldKeepAlive = false;
      onRequest(req, res, info);
    },
  );
  server.on('session', (session: Http2Session) => {
    const info = tlsInfo(session.socket as unknown as Socket);
    infoOf.set(session, info);
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    watchSession(
      session,
      () => current.h2.max_resets_per_10s,
      (reason) => {
        hooks.onH2Abuse();
        hooks.log?.('h2_session_closed', { reason, ip: info.peerIp, listener: cfg.name });
      },
    );
  });
  server.on('tlsClientError', (_err: Error, tlsSocket: Socket) => tlsSocket.destroy());
  applyHttpLimits(server, limits);
  // CONNECT would otherwise be dropped silently by Node (no listener): answer it like any refused request.
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    socket.end(rawErrorResponse(400, newDecisionId()));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => handleClientError(err, socket, hooks.log));
  // Node starts its header/request timeout bookkeeping on 'listening'; the listener's net.Server does the listening.
  server.emit('listening');

  return {
    handOver(stream, info) {
      infoOf.set(stream, info);
      server.emit('connection', stream);
      if (stream instanceof net.Socket) stream.resume();
    },
    drain() {
      draining = true;
      for (const s of sessions) s.close();
    },
    closeIdleConnections() {
      (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    },
    close() {
      for (const s of sessions) s.destroy();
      server.close();
    },
    updateLimits(next) {
      current = next;
      applyHttpLimits(server, next);
    },
  };
}

function applyHttpLimits(server: http2.Http2SecureServer, limits: LimitsConfig): void {
  const t = httpTimeouts(limits);
  // The HTTP/1.1 side of the secure server reads node:http's fields.
  const s = server as unknown as HttpServer;
  s.headersTimeout = t.headersTimeout;
  s.requestTimeout = t.requestTimeout;
  s.keepAliveTimeout = t.keepAliveTimeout;
  s.maxRequestsPerSocket = limits.max_requests_per_socket;
  (s as unknown as { maxHeaderSize: number }).maxHeaderSize = limits.max_header_bytes;
  // An HTTP/2 session with no frames for this long is closed (Node has no header timeout for h2).
  server.setTimeout(t.requestTimeout || 30_000);
  server.updateSettings({
    maxConcurrentStreams: limits.h2.max_concurrent_streams,
    maxHeaderListSize: limits.h2.max_header_list_bytes,
  });
}

/** The first subject CN of the peer certificate, at most 64 characters (X.509's bound); "" when none. */
function subjectCn(s: TLSSocket): string {
  const cn: unknown = s.getPeerCertificate().subject?.CN;
  const first = Array.isArray(cn) ? cn[0] : cn;
  return typeof first === 'string' ? first.slice(0, 64) : '';
}
