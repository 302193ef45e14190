import net, { type AddressInfo, type Socket } from 'node:net';
import type { LimitsConfig, ListenerConfig } from '../config/schema.ts';
import { type CidrSet, normaliseIp } from '../core/ip-prefix.ts';
import { ConnGuard } from './conn-guard.ts';
import { H1Server } from './h1-server.ts';
import { readProxyHeader, wrapWithPrefix } from './proxy-header.ts';
import { createTlsFront, type TlsFront } from './tls-front.ts';
import type { ConnInfo, ListenerLog, OnRequest } from './types.ts';

// One public listener. A plain net.Server accepts every TCP connection so the connection caps and the
// PROXY protocol run before any TLS or HTTP work; accepted sockets are then handed to Rempart's own HTTP/1.1
// engine (protocol http, h1/) or to Node's HTTP/2 secure server that also speaks HTTP/1.1 over TLS (https,
// tls-front.ts). The own engine exists for speed: node:http cost ~16 µs of CPU per request here, a
// socket-level parser ~8.

export interface PublicListenerOptions {
  trustedProxies: CidrSet;
  onRequest: OnRequest;
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

export function createPublicListener(
  cfg: ListenerConfig,
  limits: LimitsConfig,
  opts: PublicListenerOptions,
): PublicListener {
  const isTls = cfg.protocol === 'https';
  const guard = new ConnGuard({ maxTotal: limits.max_connections, maxPerIp: limits.max_connections_per_ip });
  const sockets = new Set<Socket>();
  const counters = { proxyRejected: 0, h2Abuse: 0 };
  let draining = false;
  const log = opts.log;

  let h1: H1Server<ConnInfo> | undefined;
  let tls: TlsFront | undefined;
  if (isTls) {
    tls = createTlsFront(cfg, limits, opts.onRequest, { log, onH2Abuse: () => counters.h2Abuse++ });
  } else {
    h1 = new H1Server<ConnInfo>(limits, { onRequest: opts.onRequest, log, peerOf: (info) => info.peerIp });
  }

  function handOver(socket: Socket, info: ConnInfo, prefix?: Buffer): void {
    if (h1 !== undefined) {
      if (prefix !== undefined && prefix.length > 0) socket.unshift(prefix);
      h1.handle(socket, info);
      socket.resume();
    } else tls?.handOver(prefix === undefined ? socket : wrapWithPrefix(socket, prefix), info);
  }

  function rejectProxied(event: string, fields: object): void {
    counters.proxyRejected++;
    log?.(event, { ...fields, listener: cfg.name });
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
      rejectProxied('proxy_protocol_untrusted', { peer });
      socket.destroy();
      return;
    }
    readProxyHeader(socket, {
      onReject: (reason) => rejectProxied('proxy_protocol_rejected', { reason, peer }),
      onHeader(h, rest) {
        const client = h.command === 'proxy' && h.source ? normaliseIp(h.source.ip) : peer;
        if (guard.attribute(client) !== 'accept') {
          socket.destroy();
          return;
        }
        key = client;
        handOver(socket, { peerIp: client, tls: isTls, listener: cfg.name }, rest);
      },
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
      tls?.drain();
      const deadline = Date.now() + graceMs;
      while (sockets.size > 0 && Date.now() < deadline) {
        h1?.closeIdleConnections();
        tls?.closeIdleConnections();
        await new Promise((r) => setTimeout(r, 25));
      }
      for (const s of sockets) s.destroy();
      // Also stops the timeout bookkeeping intervals.
      tls?.close();
      h1?.close();
      await closed;
      // 'close' events of destroyed sockets land a tick later; wait for the count to settle (bounded).
      for (let i = 0; i < 100 && sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    },
    address: () => (front.address() as AddressInfo | null) ?? undefined,
    connectionCount: () => guard.total,
    updateLimits(next) {
      guard.setCaps({ maxTotal: next.max_connections, maxPerIp: next.max_connections_per_ip });
      h1?.setLimits(next);
      tls?.updateLimits(next);
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
