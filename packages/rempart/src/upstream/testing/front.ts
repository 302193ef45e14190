import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type UpstreamConfig, upstreamSchema } from '../../config/schema.ts';
import { systemClock } from '../../core/clock.ts';
import { newDecisionId } from '../../core/decision-id.ts';
import { normaliseIp } from '../../core/ip-prefix.ts';
import type { AnyRequest } from '../../listeners/types.ts';
import type { RequestCtx } from '../../pipeline/types.ts';
import type { ForwardResult } from '../forward.ts';
import type { Upstreams } from '../upstreams.ts';

// Test kit: a real origin and a small front server that calls forward(), both on loopback port 0.

export function upstreamConfig(port: number, over: Record<string, unknown> = {}): UpstreamConfig {
  return upstreamSchema.parse({ name: 'origin', url: `http://127.0.0.1:${port}`, ...over });
}

export function ctxFor(req: AnyRequest, tls = false): RequestCtx {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const v = req.httpVersion;
  const peer = normaliseIp(req.socket?.remoteAddress ?? '127.0.0.1');
  return {
    id: newDecisionId(),
    startedAt: systemClock.now(),
    startedMono: systemClock.mono(),
    method: req.method ?? 'GET',
    path: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? '' : url.slice(q + 1),
    headers: req.headers,
    httpVersion: v === '2.0' ? '2.0' : v === '1.0' ? '1.0' : '1.1',
    tls,
    peerIp: peer,
    client: { ip: peer, prefix: '' },
    trace: [],
  };
}

export interface Listening<S> {
  server: S;
  port: number;
  close(): Promise<void>;
}

export async function listen<S extends Server>(server: S): Promise<Listening<S>> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export function startOrigin(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening<Server>> {
  return listen(createServer(handler));
}

/** Front server: every request goes to upstream `name`; results are collected in order of completion. */
export async function startFront(
  upstreams: Upstreams,
  name = 'origin',
): Promise<Listening<Server> & { results: ForwardResult[] }> {
  const results: ForwardResult[] = [];
  const l = await listen(
    createServer((req, res) => {
      upstreams.forward(name, req, res, ctxFor(req), { onSettled: (_ctx, _res, r) => results.push(r) });
    }),
  );
  return { ...l, results };
}
