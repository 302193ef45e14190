import { exchange } from '../load/http-send.ts';
import { runOpenLoop } from '../load/open-loop.ts';
import type { Collector } from '../measure/collector.ts';
import { createRng, type RequestVector, requestShapes } from './request-shapes.ts';

// Request-level attacks driven by the open-loop generator: each arrival picks a source address from the
// attack's pool (so thousands of IPs each send little) and a new connection, as bots without keep-alive do.
// The adaptive attacker watches its own refusal ratio each second and switches vector when mostly refused.

export interface FloodOptions {
  vectors: RequestVector[]; // one, or the rotation for the adaptive attacker
  host: string;
  port: number;
  rate: number;
  rampS: number;
  durationS: number;
  maxInFlight: number;
  source: (k: number) => string;
  sourceCount: number;
  collector: Collector;
  seed: number;
  signal: AbortSignal;
}

export interface FloodStats {
  vector: string;
  scheduled: number;
  sent: number;
  dropped_by_generator: number;
  refused: number;
  errors: number;
  switches: string[];
  max_timer_lateness_ms: number;
}

export async function runFlood(o: FloodOptions): Promise<FloodStats> {
  const rng = createRng(o.seed);
  let current = 0;
  let windowSent = 0;
  let windowRefused = 0;
  let refused = 0;
  const switches: string[] = [];
  const adapt =
    o.vectors.length > 1
      ? setInterval(() => {
          // Mostly refused for a second: the operator reacted, so re-target (as the incident's attackers did).
          if (windowSent >= 10 && windowRefused / windowSent > 0.5) {
            current = (current + 1) % o.vectors.length;
            if (switches.length < 100) switches.push(o.vectors[current]);
          }
          windowSent = 0;
          windowRefused = 0;
        }, 1000)
      : undefined;
  const r = await runOpenLoop({
    rate: (t) => (o.rampS > 0 && t < o.rampS ? Math.max(1, (o.rate * t) / o.rampS) : o.rate),
    durationS: o.durationS,
    maxRequests: Math.ceil(o.rate * o.durationS * 1.05) + 10,
    maxInFlight: o.maxInFlight,
    queueCap: o.maxInFlight,
    signal: o.signal,
    send: () => {
      const req = requestShapes[o.vectors[current]](rng);
      return exchange({
        host: o.host,
        port: o.port,
        method: req.method,
        path: req.path,
        headers: req.headers,
        body: req.body,
        localAddress: o.source(Math.floor(rng() * o.sourceCount)),
        timeoutMs: 10_000,
        keepBodyBytes: 256,
      });
    },
    onResult: (v) => {
      windowSent++;
      if (v instanceof Error) {
        o.collector.attack('error');
        return;
      }
      const refusedNow =
        v.status === 403 ||
        v.status === 429 ||
        v.status === 503 ||
        v.status === 408 ||
        v.status === 413 ||
        v.status === 431;
      if (refusedNow) {
        refused++;
        windowRefused++;
      }
      o.collector.attack(refusedNow ? 'refused' : 'served');
    },
  });
  if (adapt) clearInterval(adapt);
  return {
    vector: o.vectors.join('>'),
    scheduled: r.scheduled,
    sent: r.sent,
    dropped_by_generator: r.dropped,
    refused,
    errors: r.errors,
    switches,
    max_timer_lateness_ms: r.max_timer_lateness_ms,
  };
}
