import type { GcraParams } from './store.ts';

// GCRA (generic cell rate algorithm): one number per key, the theoretical arrival time (TAT) of the next
// request at the sustained rate. This function is the specification every backend applies atomically:
// memory-store.ts calls it directly; a Redis Lua port must pass the same table (gcra.cases.ts).

export interface GcraOutcome {
  readonly allowed: boolean;
  readonly retryAfterMs: number;
  readonly remaining: number;
  /** TAT to store when allowed; undefined when refused (a refusal writes nothing). */
  readonly tat: number | undefined;
}

// Float rates (1000/3 ms) accumulate rounding noise; a micro-millisecond of slack keeps exact fits allowed.
const EPSILON_MS = 1e-6;

/**
 * `tat`: the stored TAT or undefined for a fresh key. Capacity at an instant is burst + 1 requests;
 * afterwards one request per emission interval.
 */
export function gcra(now: number, cost: number, tat: number | undefined, p: GcraParams): GcraOutcome {
  const e = p.emissionMs;
  const base = tat === undefined || tat < now ? now : tat;
  const next = base + cost * e;
  const horizon = (p.burst + 1) * e;
  const over = next - now - horizon;
  if (over > EPSILON_MS) {
    const remainingNow = Math.max(0, Math.floor((horizon - (base - now)) / e + EPSILON_MS));
    return { allowed: false, retryAfterMs: over, remaining: remainingNow, tat: undefined };
  }
  return {
    allowed: true,
    retryAfterMs: 0,
    remaining: Math.max(0, Math.floor((horizon - (next - now)) / e + EPSILON_MS)),
    tat: next,
  };
}
