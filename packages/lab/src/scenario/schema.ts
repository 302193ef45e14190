import { z } from 'zod';

// Scenario files (packages/lab/scenarios/*.yaml): who sends what, phase by phase. Documented in README.md.

export const vectorNames = [
  'ddosia',
  'cache-bust',
  'login-stuffing',
  'search-exhaustion',
  'oversized',
  'low-and-slow',
  'slowloris',
  'slow-post',
  'slow-read',
  'h2-rapid-reset',
  'h2-continuation',
  'adaptive',
] as const;

export type VectorName = (typeof vectorNames)[number];

const attack = z
  .object({
    vector: z.enum(vectorNames),
    /** Requests (or new connections / streams for connection vectors) per second, all sources together. */
    rate: z.number().positive().max(20_000).optional(),
    /** Instead of `rate`: this multiple of the origin capacity the lab measures before the phases (`capacity`). */
    rate_x_capacity: z.number().positive().max(200).optional(),
    /** Distinct source addresses the attack spreads over. */
    sources: z.number().int().positive().max(200_000).default(1000),
    /** Linear ramp from 0 to `rate` over the first seconds of the phase. */
    ramp_s: z.number().nonnegative().default(0),
    /** Some attack sources are also legit users' addresses (NAT, shared mobile carrier IPs). */
    share_ips_with_legit: z.number().min(0).max(1).default(0),
    /** Connection vectors: at most this many connections open at once. */
    max_connections: z.number().int().positive().max(5000).default(200),
    /** adaptive: vectors to rotate through when the current one is mostly refused. */
    rotate: z.array(z.enum(vectorNames)).optional(),
  })
  .strict()
  .refine((a) => (a.rate === undefined) !== (a.rate_x_capacity === undefined), {
    message: 'set exactly one of rate and rate_x_capacity',
  });

/** Request vectors: the ones whose mix the capacity probe can send. */
export const requestVectorNames = [
  'ddosia',
  'cache-bust',
  'login-stuffing',
  'search-exhaustion',
  'oversized',
  'low-and-slow',
] as const;

const phase = z
  .object({
    name: z.string().min(1),
    duration_s: z.number().positive().max(3600),
    attacks: z.array(attack).default([]),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/),
    description: z.string().min(1),
    origin: z
      .object({
        cpu_ms: z.number().nonnegative().max(100).default(1),
        search_factor: z.number().positive().max(100).default(8),
        /** poste's capacity model when `--origin poste` (its `--costs`, e.g. "searchCpuMs=12,trackingCpuMs=2"). */
        poste_costs: z
          .string()
          .regex(/^([a-zA-Z]+=[0-9.]+)(,[a-zA-Z]+=[0-9.]+)*$/)
          .optional(),
      })
      .strict()
      .default({ cpu_ms: 1, search_factor: 8 }),
    legit: z
      .object({
        users: z.number().int().positive().max(5000).default(30),
        think_ms: z.tuple([z.number().nonnegative(), z.number().nonnegative()]).default([300, 1500]),
        timeout_ms: z.number().int().positive().default(10_000),
      })
      .strict(),
    /**
     * Measure the origin's capacity before the phases: a closed loop of `concurrency` clients sends
     * `vector`'s request mix straight to the origin; answers below 500 per second = capacity. Needed by
     * `rate_x_capacity`; reported as `origin_capacity_rps`.
     */
    capacity: z
      .object({
        vector: z.enum(requestVectorNames).default('ddosia'),
        concurrency: z.number().int().positive().max(256).default(16),
        duration_s: z.number().positive().max(60).default(5),
        warmup_s: z.number().nonnegative().max(30).default(1),
      })
      .strict()
      .optional(),
    phases: z.array(phase).min(1),
    /** The --quick profile: phases scaled to this total length, rates and sources scaled by the factor. */
    quick: z
      .object({
        total_s: z.number().positive().max(40).default(30),
        rate_factor: z.number().positive().max(1).default(0.5),
      })
      .strict()
      .default({ total_s: 30, rate_factor: 0.5 }),
  })
  .strict()
  .refine((s) => s.capacity !== undefined || s.phases.every((p) => p.attacks.every((a) => a.rate !== undefined)), {
    message: 'rate_x_capacity needs a `capacity` section (the lab measures the capacity it multiplies)',
    path: ['capacity'],
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type Phase = Scenario['phases'][number];
export type AttackSpec = Phase['attacks'][number];

/** The attack's rate in requests (or connections, streams) per second, once the capacity is known. */
export function attackRate(a: AttackSpec, capacityRps: number | null): number {
  if (a.rate !== undefined) return a.rate;
  if (capacityRps === null) throw new Error(`${a.vector}: rate_x_capacity without a measured capacity`);
  return Math.max(1, Math.round((a.rate_x_capacity ?? 1) * capacityRps));
}

/** How the scenario states an attack's rate: `600/s` or `20×capacity`. */
export function rateLabel(a: AttackSpec): string {
  return a.rate !== undefined ? `${a.rate}/s` : `${a.rate_x_capacity}×capacity`;
}
