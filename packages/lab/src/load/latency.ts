import * as hdr from 'hdr-histogram-js';

// HDR histograms in microseconds (1 µs … 10 min, 3 significant digits); summaries are in ms.

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.min(600_000_000, Math.max(1, Math.round(ms * 1000))));
}

export interface LatencySummary {
  count: number;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

export function summarise(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50_ms: null, p90_ms: null, p99_ms: null, max_ms: null };
  const at = (p: number) => Math.round(h.getValueAtPercentile(p) / 10) / 100;
  return {
    count: h.totalCount,
    p50_ms: at(50),
    p90_ms: at(90),
    p99_ms: at(99),
    max_ms: Math.round(h.maxValue / 10) / 100,
  };
}
