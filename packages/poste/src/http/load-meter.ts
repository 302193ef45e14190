// Load as the gateway's admission control sees it: requests in flight and p99 latency over a sliding
// window. Latencies go into a fixed ring (bounded memory); p99 is computed only when /healthz asks.

export class LoadMeter {
  inFlight = 0;
  private readonly at: Float64Array;
  private readonly ms: Float64Array;
  private next = 0;
  private readonly windowMs: number;
  total = 0;

  constructor(capacity = 4096, windowMs = 10_000) {
    this.at = new Float64Array(capacity);
    this.ms = new Float64Array(capacity);
    this.windowMs = windowMs;
  }

  start(): number {
    this.inFlight++;
    return performance.now();
  }

  end(startedAt: number): void {
    this.inFlight--;
    const now = performance.now();
    this.at[this.next] = now;
    this.ms[this.next] = now - startedAt;
    this.next = (this.next + 1) % this.at.length;
    this.total++;
  }

  snapshot(): { inFlight: number; p99Ms: number; p50Ms: number; rps: number; samples: number } {
    const since = performance.now() - this.windowMs;
    const recent: number[] = [];
    for (let i = 0; i < this.at.length; i++) if (this.at[i] > 0 && this.at[i] >= since) recent.push(this.ms[i]);
    recent.sort((a, b) => a - b);
    const pick = (q: number) =>
      recent.length ? recent[Math.min(recent.length - 1, Math.floor(q * recent.length))] : 0;
    // rps is a lower bound once the ring is full (capacity samples inside the window).
    return {
      inFlight: this.inFlight,
      p99Ms: Math.round(pick(0.99) * 10) / 10,
      p50Ms: Math.round(pick(0.5) * 10) / 10,
      rps: Math.round(recent.length / (this.windowMs / 1000)),
      samples: recent.length,
    };
  }
}
