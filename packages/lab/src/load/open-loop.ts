import { type Histogram, newHistogram, recordMs } from './latency.ts';

// Open-loop generator: requests are *scheduled* at a constant (or ramped) arrival rate whatever the
// target does, and latency is measured from the intended send time. A stalled server therefore shows
// its stall in the percentiles instead of silently slowing the generator (coordinated omission).
// Bounded three ways: duration, request count, and in-flight + waiting queue (overflow is counted).

export interface OpenLoopOptions<T> {
  /** Arrivals per second at elapsed second t (constant: `() => 50`; ramp: `(t) => 10 + 5 * t`). */
  rate: (elapsedS: number) => number;
  durationS: number;
  maxRequests: number;
  /** Concurrency bound: at most this many requests outstanding (connections). */
  maxInFlight: number;
  /** Requests due while all slots are busy wait here, up to this many; beyond, they are dropped and counted. */
  queueCap: number;
  send: (seq: number) => Promise<T>;
  /** Called once per finished request; latencies in ms. */
  onResult?: (result: T | Error, t: { seq: number; correctedMs: number; serviceMs: number; doneAt: number }) => void;
  signal?: AbortSignal;
  now?: () => number;
}

export interface OpenLoopResult {
  scheduled: number;
  sent: number;
  completed: number;
  errors: number;
  dropped: number;
  /** Worst delay between an arrival's intended time and its dispatch by the generator's own timer. */
  max_timer_lateness_ms: number;
  corrected: Histogram; // done − intended
  service: Histogram; // done − actually sent (what a closed-loop tool would report)
  elapsed_s: number;
}

export function runOpenLoop<T>(o: OpenLoopOptions<T>): Promise<OpenLoopResult> {
  const now = o.now ?? (() => performance.now());
  const t0 = now();
  // An arrival within a microsecond of the end is the end itself (float noise from summing intervals).
  const end = t0 + o.durationS * 1000 - 1e-3;
  const r: OpenLoopResult = {
    scheduled: 0,
    sent: 0,
    completed: 0,
    errors: 0,
    dropped: 0,
    max_timer_lateness_ms: 0,
    corrected: newHistogram(),
    service: newHistogram(),
    elapsed_s: 0,
  };
  const waiting: number[] = []; // intended times of queued arrivals (seq = index order)
  const waitingSeq: number[] = [];
  let inFlight = 0;
  let nextAt = t0;
  let stopped = false;

  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finishIfIdle = () => {
      if (stopped && inFlight === 0 && waiting.length === 0) {
        r.elapsed_s = Math.round(now() - t0) / 1000;
        o.signal?.removeEventListener('abort', stop);
        resolve(r);
      }
    };
    const stop = () => {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      // Arrivals still waiting never got a slot: dropped, not hidden.
      r.dropped += waiting.length;
      waiting.length = 0;
      waitingSeq.length = 0;
      finishIfIdle();
    };
    const dispatch = (seq: number, intendedAt: number) => {
      inFlight++;
      r.sent++;
      const sentAt = now();
      let p: Promise<T>;
      try {
        p = o.send(seq);
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(
        (v) => done(v, false),
        (e: unknown) => done(e instanceof Error ? e : new Error(String(e)), true),
      );
      function done(v: T | Error, failed: boolean) {
        const doneAt = now();
        inFlight--;
        r.completed++;
        if (failed) r.errors++;
        const correctedMs = doneAt - intendedAt;
        const serviceMs = doneAt - sentAt;
        recordMs(r.corrected, correctedMs);
        recordMs(r.service, serviceMs);
        o.onResult?.(v, { seq, correctedMs, serviceMs, doneAt });
        if (waiting.length > 0) dispatch(waitingSeq.shift() as number, waiting.shift() as number);
        else finishIfIdle();
      }
    };
    const tick = () => {
      timer = undefined;
      const t = now();
      while (!stopped && nextAt <= t) {
        if (nextAt >= end || r.scheduled >= o.maxRequests) {
          stop();
          return;
        }
        const rate = o.rate((nextAt - t0) / 1000);
        if (!(rate > 0)) {
          nextAt += 100; // a zero rate sends nothing and re-checks every 100 ms
          continue;
        }
        const seq = r.scheduled++;
        const lateness = t - nextAt;
        if (lateness > r.max_timer_lateness_ms) r.max_timer_lateness_ms = Math.round(lateness);
        if (inFlight < o.maxInFlight) dispatch(seq, nextAt);
        else if (waiting.length < o.queueCap) {
          waiting.push(nextAt);
          waitingSeq.push(seq);
        } else r.dropped++;
        nextAt += 1000 / rate;
      }
      if (stopped) return;
      if (nextAt >= end || r.scheduled >= o.maxRequests) {
        stop();
        return;
      }
      timer = setTimeout(tick, Math.max(0, nextAt - now()));
    };
    o.signal?.addEventListener('abort', stop, { once: true });
    if (o.signal?.aborted) stop();
    else tick();
  });
}
