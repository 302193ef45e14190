import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { H1Request } from '../http1/request.ts';
import type { H1Response } from '../http1/response.ts';
import type { ClientCert } from '../pipeline/access/decide.ts';

// What a public listener hands to the request path: the request and response of whichever engine served the
// connection, and the connection's facts.

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

/** Rempart's own HTTP/1.1 engine (cleartext), or Node's (HTTP/1.1 and HTTP/2 over TLS). */
export type AnyRequest = IncomingMessage | Http2ServerRequest | H1Request;
export type AnyServerResponse = ServerResponse | Http2ServerResponse | H1Response;
export type ListenerLog = (event: string, fields: object) => void;
export type OnRequest = (req: AnyRequest, res: AnyServerResponse, info: ConnInfo) => void;
