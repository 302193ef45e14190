import { z } from 'zod';

// The contract of report.json (DESIGN.md "Contracts" + README.md): what readers may rely on.

const ms = z.number().nonnegative().nullable();
const ratio = z.number().min(0).max(1).nullable();

const classSummary = z.object({
  requests: z.number().int().nonnegative(),
  success_ratio: ratio,
  p50_ms: ms,
  p99_ms: ms,
});

const legit = z.object({
  requests: z.number().int().nonnegative(),
  success_ratio: ratio,
  p50_ms: ms,
  p99_ms: ms,
  challenged: z.number().int().nonnegative(),
  blocked: z.number().int().nonnegative(),
  per_class: z.object({ critical: classSummary, normal: classSummary, bulk: classSummary, static: classSummary }),
  solved: z
    .object({
      count: z.number().int().nonnegative(),
      p50_ms: ms,
      p99_ms: ms,
      lab_queue_max_ms: z.number().nonnegative(),
    })
    .optional(),
});

const attack = z.object({
  requests: z.number().int().nonnegative(),
  refused: z.number().int().nonnegative(),
  reached_origin: z.number().int().nonnegative(),
  reached_origin_ratio: ratio,
});

const ran = z.object({
  status: z.literal('ok'),
  target: z.string(),
  legit,
  legit_refusals: z
    .array(
      z.object({
        t: z.number().int().nonnegative(),
        step: z.string(),
        status: z.number().int(),
        decision_id: z.string().nullable(),
        rule: z.string().nullable(),
      }),
    )
    .max(50)
    .optional(),
  attack,
  time_to_mitigate_s: z.number().nonnegative().nullable(),
  // Measured in the run (scenario `capacity`), null when the scenario does not ask for it.
  origin_capacity_rps: z.number().positive().nullable(),
  attack_multiple: z.number().nonnegative().nullable(),
  collateral: z.object({ legit_challenged: z.number().int(), legit_blocked: z.number().int(), ratio }),
  gateway: z.object({
    cpu_s: z.number().nullable(),
    max_rss_mb: z.number().nullable(),
    max_fds: z.number().nullable(),
  }),
  origin: z.object({
    kind: z.enum(['lab', 'poste']),
    cpu_s: z.number().nullable(),
    max_in_flight: z.number().int(),
  }),
  generator: z.object({ cpu_s: z.number(), saturated: z.boolean(), dropped: z.number().int() }),
  phases: z
    .array(
      z.object({
        name: z.string(),
        start_s: z.number(),
        end_s: z.number(),
        legit,
        attack,
        attack_rps: z.number().nonnegative(),
        attack_multiple: z.number().nonnegative().nullable(),
      }),
    )
    .min(1),
  vectors: z.array(
    z.object({
      vector: z.string(),
      phase: z.string(),
      kind: z.enum(['request', 'connection', 'h2']),
      stats: z.record(z.string(), z.unknown()),
    }),
  ),
  timeline: z.array(
    z.object({
      t: z.number().int(),
      legit_ok: z.number().int(),
      legit_total: z.number().int(),
      attack_sent: z.number().int(),
      attack_reached_origin: z.number().int(),
    }),
  ),
});

const notRan = z.object({ status: z.enum(['skipped', 'failed']), target: z.string(), reason: z.string().min(1) });

export const reportSchema = z.object({
  schema: z.literal('rempart-lab/report@1'),
  scenario: z.object({
    name: z.string(),
    description: z.string(),
    quick: z.boolean(),
    origin: z.enum(['lab', 'poste']),
    phases: z.array(z.object({ name: z.string(), duration_s: z.number() })),
  }),
  started_at: z.string(),
  finished_at: z.string(),
  machine: z.object({ cpus: z.number().int(), cpu_model: z.string(), node: z.string() }),
  targets: z.partialRecord(z.enum(['rempart', 'direct', 'nginx', 'haproxy']), z.union([ran, notRan])),
});
