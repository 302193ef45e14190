import { exchange } from '../load/http-send.ts';
import { createRng, type RequestVector, requestShapes } from '../vectors/request-shapes.ts';

// Origin capacity, measured in the run rather than assumed: a closed loop of `concurrency` clients sends the
// attack's own request mix (same shapes, one new connection per request, many source addresses) straight to
// the origin, and the rate of requests it answers below 500 over the measuring window is its capacity for
// that mix. Closed loop: a client sends its next request only when the previous one is answered, so the
// origin is kept saturated without a queue of late arrivals inflating or deflating the figure.

export interface CapacityOptions {
  host: string;
  port: number;
  vector: RequestVector;
  concurrency: number;
  /** Measuring window, after the warm-up. */
  durationS: number;
  warmupS: number;
  source: (k: number) => string;
  sourceCount: number;
  seed: number;
  timeoutMs?: number;
}

export interface CapacityResult {
  vector: string;
  concurrency: number;
  duration_s: number;
  /** Answers below 500 per second over the window: the origin's sustainable throughput on this mix. */
  rps: number;
  served: number;
  /** 5xx answers (poste sheds heavy requests with 503 beyond its in-flight bound) and transport errors. */
  shed: number;
  errors: number;
  p50_ms: number | null;
}

export async function measureCapacity(o: CapacityOptions): Promise<CapacityResult> {
  const rng = createRng(o.seed);
  const t0 = performance.now();
  const windowStart = t0 + o.warmupS * 1000;
  const windowEnd = windowStart + o.durationS * 1000;
  let served = 0;
  let shed = 0;
  let errors = 0;
  const latencies: number[] = [];
  const MAX_SAMPLES = 100_000;
  const client = async () => {
    // Bounded by time; each exchange by its own timeout.
    while (performance.now() < windowEnd) {
      const req = requestShapes[o.vector](rng);
      const at = performance.now();
      let status = 0;
      try {
        const r = await exchange({
          host: o.host,
          port: o.port,
          method: req.method,
          path: req.path,
          headers: req.headers,
          body: req.body,
          localAddress: o.source(Math.floor(rng() * o.sourceCount)),
          timeoutMs: o.timeoutMs ?? 10_000,
          keepBodyBytes: 0,
        });
        status = r.status;
      } catch {
        status = -1;
      }
      const end = performance.now();
      if (end < windowStart || end > windowEnd) continue; // completions inside the window count
      if (status < 0) errors++;
      else if (status >= 500) shed++;
      else {
        served++;
        if (latencies.length < MAX_SAMPLES) latencies.push(end - at);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, client));
  latencies.sort((a, b) => a - b);
  return {
    vector: o.vector,
    concurrency: o.concurrency,
    duration_s: o.durationS,
    rps: Math.round((served / o.durationS) * 10) / 10,
    served,
    shed,
    errors,
    p50_ms: latencies.length === 0 ? null : Math.round(latencies[latencies.length >> 1] * 10) / 10,
  };
}
