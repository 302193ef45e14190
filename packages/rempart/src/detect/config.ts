import { z } from 'zod';

// The `detect:` section. Every threshold is a pair: the level that enters elevated and the level that
// enters under-attack; leaving uses the same levels times exit_factor (hysteresis), after calm_ticks
// calm ticks and the mode's minimum dwell.

const pair = (elevated: number, underAttack: number) =>
  z
    .object({
      elevated: z.number().nonnegative().default(elevated),
      under_attack: z.number().nonnegative().default(underAttack),
    })
    .strict()
    .prefault({});

const modePolicy = (limitMultiplier: number, cache: 'normal' | 'stale-ok' | 'stale-first', shedBulk: boolean) =>
  z
    .object({
      /** Scales rate-limit allowances (1 = as configured, 0.5 = half). */
      limit_multiplier: z.number().positive().default(limitMultiplier),
      /** Micro-cache behaviour: stale-ok serves stale on origin trouble, stale-first serves stale before refreshing. */
      cache: z.enum(['normal', 'stale-ok', 'stale-first']).default(cache),
      /** Shed `bulk` routes that cannot be served from cache. */
      shed_bulk: z.boolean().default(shedBulk),
    })
    .strict()
    .prefault({});

export const detectSchema = z
  .object({
    enabled: z.boolean().default(true),
    tick_ms: z.number().int().min(100).max(10_000).default(1_000),
    /** Ticks after start before baselines are trusted (a flood during warm-up is not learned). */
    warmup_ticks: z.number().int().min(3).default(10),
    /** Weight of each new second in the baselines (0.02 ≈ the last minute). */
    baseline_alpha: z.number().positive().max(1).default(0.02),
    /** Below this many requests per tick, volume and composition signals stay quiet. */
    min_rps: z.number().int().nonnegative().default(50),
    exit_factor: z.number().positive().max(1).default(0.6),
    calm_ticks: z.number().int().positive().default(5),
    min_dwell_s: z
      .object({
        elevated: z.number().int().nonnegative().default(10),
        under_attack: z.number().int().nonnegative().default(30),
      })
      .strict()
      .prefault({}),
    /** Pin a mode at start (operators can also pin through the admin API). */
    pin: z.enum(['normal', 'elevated', 'under-attack']).optional(),
    thresholds: z
      .object({
        rate_ratio: pair(3, 6),
        sources_ratio: pair(3, 6),
        /** Share of the traffic made of shapes over-represented against their route's baseline mix. */
        shape_share: pair(0.15, 0.3),
        /** Rise of distinct URLs / requests above baseline (cache busting). */
        unique_url_delta: pair(0.25, 0.45),
        /** Rise of the query strings' character entropy above baseline, in bits. */
        query_entropy_delta: pair(0.8, 1.5),
        post_share_delta: pair(0.2, 0.35),
        /** Rise of the share of POSTs sent without a prior GET of the same path by the same client. */
        orphan_post_delta: pair(0.3, 0.5),
        pressure: pair(0.7, 0.9),
        error_rate: pair(0.05, 0.2),
        latency_ratio: pair(3, 6),
      })
      .strict()
      .prefault({}),
    shapes: z
      .object({
        /** Shapes tracked per tick (space-saving capacity). */
        tracked: z.number().int().min(16).max(4096).default(256),
        /** Shapes remembered in the peacetime baseline. */
        baseline_capacity: z.number().int().min(64).max(65_536).default(4_096),
        /** A shape is over-represented when its share of its route is this many times its baseline share. */
        over_factor: z.number().min(1).default(4),
        /** Baseline share assumed for a shape never seen in peacetime. */
        floor_share: z.number().positive().max(1).default(0.01),
        /** Requests per tick below which a shape is never flagged. */
        min_count: z.number().int().positive().default(20),
        /** Shapes acted upon at most. */
        max_flagged: z.number().int().positive().max(256).default(16),
      })
      .strict()
      .prefault({}),
    actions: z
      .object({
        /** dry-run: flagged shapes are logged and counted, requests pass. */
        mode: z.enum(['enforce', 'dry-run']).default('enforce'),
        /** Difficulty of the challenge asked of a flagged shape: leading zero bits of SHA-256 (the challenge stage's scale). */
        challenge_difficulty: z.number().int().min(1).max(32).default(16),
        /** Seconds a shape stays flagged under attack before it is rate-limited instead of challenged. */
        rate_limit_after_s: z.number().int().nonnegative().default(10),
        /** ... and before it is blocked. */
        block_after_s: z.number().int().nonnegative().default(60),
        /** GCRA allowance per shape: max(min_rate, baseline rate of the shape × rate_multiplier). */
        min_rate: z.number().positive().default(5),
        rate_multiplier: z.number().positive().default(2),
        burst: z.number().int().nonnegative().default(10),
        /** A shape not flagged for this long is forgotten (its escalation restarts). */
        forget_after_s: z.number().int().positive().default(30),
      })
      .strict()
      .prefault({}),
    /** Per-request suspicion written to ctx.score (0..1) for the challenge stage; weights add up, capped at 0.9. */
    score: z
      .object({
        /** The request's shape is being acted upon (elevated / under-attack). */
        flagged_shape: z.number().min(0).max(1).default(0.6),
        /** A POST with no prior GET of the same path by the same client. */
        orphan_post: z.number().min(0).max(1).default(0.3),
        no_cookie: z.number().min(0).max(1).default(0.1),
        /** Under attack: neither cookie nor Referer (a bare first request). */
        bare_under_attack: z.number().min(0).max(1).default(0.1),
      })
      .strict()
      .prefault({}),
    /** The priority lane: clients known before an attack keep their access (valid clearances always count). */
    priority: z
      .object({
        /** Session cookie names of the origin; values it issued (Set-Cookie) are remembered as known clients. */
        session_cookies: z.array(z.string().regex(/^[A-Za-z0-9_.-]+$/)).default([]),
        max_sessions: z.number().int().positive().default(100_000),
        session_ttl_s: z.number().int().positive().default(86_400),
      })
      .strict()
      .prefault({}),
    modes: z
      .object({
        normal: modePolicy(1, 'normal', false),
        elevated: modePolicy(0.75, 'stale-ok', false),
        under_attack: modePolicy(0.5, 'stale-first', true),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type DetectConfig = z.infer<typeof detectSchema>;
export type ModePolicyConfig = DetectConfig['modes']['normal'];

/** Defaults, for tests and for a config without a `detect:` section. */
export function defaultDetectConfig(over: Record<string, unknown> = {}): DetectConfig {
  return detectSchema.parse(over);
}
