// Capacity model: what each route costs the origin. The lab tunes these to place the saturation point
// (a few hundred to a few thousand req/s on 2 cores) where a loopback flood 20x larger is easy to produce.
import { setImmediate as yieldToLoop } from 'node:timers/promises';

export type Costs = {
  /** CPU burnt per search request, on top of the LIKE scan. */
  searchCpuMs: number;
  /** CPU burnt per tracking lookup (page or JSON). */
  trackingCpuMs: number;
  /** scrypt cost parameter N for password hashes (a power of two). Real login cost; lowered in tests. */
  scryptN: number;
  /** Concurrent expensive requests (search, login, register) admitted before answering 503. */
  maxHeavyInFlight: number;
  /** Products scanned by search (size of the seeded catalogue). */
  catalogueSize: number;
};

export const defaultCosts: Costs = {
  searchCpuMs: 4,
  trackingCpuMs: 0.2,
  scryptN: 16_384,
  maxHeavyInFlight: 64,
  catalogueSize: 5_000,
};

/** Parse "searchCpuMs=4,scryptN=1024" (CLI --costs) over the defaults. */
export function parseCosts(text: string | undefined, base: Costs = defaultCosts): Costs {
  const out: Costs = { ...base };
  if (!text) return out;
  for (const part of text.split(',')) {
    const [k, v] = part.split('=');
    const key = k?.trim() as keyof Costs;
    if (!(key in out)) throw new Error(`unknown cost "${k}" (known: ${Object.keys(out).join(', ')})`);
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`cost ${key} must be a non-negative number`);
    out[key] = n;
  }
  return out;
}

/**
 * Burn CPU for `ms`, in slices of at most 2 ms so other requests (and the ATM listener sharing the
 * thread) keep being served between slices: the origin slows down under load instead of freezing.
 */
export async function burnCpu(ms: number): Promise<void> {
  let left = ms;
  while (left > 0) {
    const slice = Math.min(left, 2);
    const end = performance.now() + slice;
    while (performance.now() < end) {
      // busy on purpose: this is the modelled work
    }
    left -= slice;
    if (left > 0) await yieldToLoop();
  }
}
