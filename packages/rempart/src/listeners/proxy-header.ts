import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { PROXY_V2_MAX_HEADER, type ProxyHeader, parseProxyV2 } from './proxy-protocol.ts';

// Reads the PROXY protocol v2 header a trusted balancer sends first on each connection, before any TLS or
// HTTP byte is parsed. The parse itself is proxy-protocol.ts; this is the socket side: buffering, a deadline,
// and handing over what came after the header.

/** Time allowed for the PROXY header to arrive; a balancer sends it with the first packet. */
const PROXY_HEADER_TIMEOUT_MS = 5_000;

export interface ProxyHeaderHandlers {
  /** The header is complete; `rest` holds the bytes read past it. The socket is paused. */
  onHeader(header: Extract<ProxyHeader, { kind: 'ok' }>, rest: Buffer): void;
  /** No valid header in time: the socket has been destroyed. */
  onReject(reason: string): void;
}

export function readProxyHeader(socket: Socket, on: ProxyHeaderHandlers): void {
  let buf: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => reject('timeout'), PROXY_HEADER_TIMEOUT_MS);
  timer.unref();
  function reject(reason: string): void {
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.destroy();
    on.onReject(reason);
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
    on.onHeader(h, buf.subarray(h.length));
  }
  socket.on('data', onData);
}

/**
 * A duplex over `socket` that first yields `prefix` (bytes read past the PROXY header). TLS reads from the
 * kernel handle and would miss bytes already pulled into JS, so PROXY + TLS connections go through this.
 */
export function wrapWithPrefix(socket: Socket, prefix: Buffer): Duplex {
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
