// Pressure: one number 0..1 saying how close the origin and the gateway are to saturation, published in
// the snapshot for admission and shedding. Gauges come from an injected source (the upstream's adaptive
// concurrency limiter and the admission queue in production, a plain object in tests: Envoy's injected
// resource monitor).

export interface PressureGauges {
  /** Requests in flight to the origin, and the adaptive limit they are held under. */
  originInflight?: number;
  originLimit?: number;
  /** Requests waiting for admission, and the queue's capacity. */
  queued?: number;
  queueCapacity?: number;
  /** Event-loop delay of the gateway itself (p99 over the last tick), in ms. */
  loopDelayMs?: number;
}

export type PressureSource = () => PressureGauges;

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * The worst of: origin concurrency use, queue fill, gateway loop delay (200 ms = saturated), origin latency
 * relative to its baseline (6× = saturated) and the origin error rate (50 % = saturated).
 */
export function computePressure(g: PressureGauges, latencyRatio: number, errorRate: number): number {
  let p = 0;
  if (g.originLimit && g.originInflight !== undefined) p = Math.max(p, g.originInflight / g.originLimit);
  if (g.queueCapacity && g.queued !== undefined) p = Math.max(p, g.queued / g.queueCapacity);
  if (g.loopDelayMs !== undefined) p = Math.max(p, g.loopDelayMs / 200);
  if (latencyRatio > 1) p = Math.max(p, (latencyRatio - 1) / 5);
  p = Math.max(p, errorRate * 2);
  return Math.round(clamp01(p) * 1000) / 1000;
}
