import { z } from 'zod';

// The `detect:` section. Every threshold is a pair: the level that enters elevated and the level that
// enters under-attack; leaving uses the same levels times exit_factor (hysteresis), after calm_ticks
// calm ticks and the mode's minimum dwell.

const pair = (elevated: number, underAttack: number) =>
  z
    .object({
      elevated: z
        .number()
        .nonnegative()
        .default(elevated)
        .describe('Value at or above which this signal asks for elevated; 0 disables this level.'),
      under_attack: z
        .number()
        .nonnegative()
        .default(underAttack)
        .describe('Value at or above which this signal asks for under-attack; 0 disables this level.'),
    })
    .strict()
    .prefault({});

const modePolicy = (limitMultiplier: number, cache: 'normal' | 'stale-ok' | 'stale-first', shedBulk: boolean) =>
  z
    .object({
      limit_multiplier: z
        .number()
        .positive()
        .default(limitMultiplier)
        .describe(
          'Scales the rate and burst of `rate_limits` and the limit of `distinct_limits` (1 = as configured, 0.5 = half).',
        ),
      cache: z
        .enum(['normal', 'stale-ok', 'stale-first'])
        .default(cache)
        .describe(
          'Micro-cache behaviour: stale-first serves an entry within its stale-if-error window at once, refreshing it in the background; stale-ok does so only while the origin is overloaded (pressure at `detect.engage_pressure`); normal serves stale only while revalidating or when the origin fails.',
        ),
      shed_bulk: z
        .boolean()
        .default(shedBulk)
        .describe('Refuse (503) requests to `bulk` routes that the cache cannot answer, except from priority clients.'),
    })
    .strict()
    .prefault({});

export const detectSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe('Run attack detection. Off: the mode stays normal, with no scoring and no per-shape action.'),
    tick_ms: z
      .number()
      .int()
      .min(100)
      .max(10_000)
      .default(1_000)
      .describe('How often signals are computed and the mode decided.'),
    engage_pressure: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        'Origin pressure (0 to 1, `rempart_detect_pressure_ratio`) from which elevated/under-attack turn on their mode-wide measures (the `challenge.classes` of the mode, `shed_bulk`); below it only the per-shape actions meet the flood, so people are not asked for a proof of work while the origin copes. A pinned mode engages them at once; they stay on until the mode returns to normal. 0: at once.',
      ),
    warmup_ticks: z
      .number()
      .int()
      .min(3)
      .default(10)
      .describe('Ticks after start before baselines are trusted; a flood during warm-up is not learned.'),
    baseline_alpha: z
      .number()
      .positive()
      .max(1)
      .default(0.02)
      .describe('Weight of each new tick in the moving-average baselines (0.02 ≈ the last 50 ticks).'),
    min_rps: z
      .number()
      .int()
      .nonnegative()
      .default(50)
      .describe(
        'Requests per second below which the volume and composition signals stay at 0; also the lowest baseline rate the ratios divide by.',
      ),
    exit_factor: z
      .number()
      .positive()
      .max(1)
      .default(0.6)
      .describe('Leaving a mode is judged on the thresholds times this factor (hysteresis).'),
    calm_ticks: z
      .number()
      .int()
      .positive()
      .default(5)
      .describe('Consecutive calm ticks (below the exit thresholds) before the mode steps down one level.'),
    min_dwell_s: z
      .object({
        elevated: z.number().int().nonnegative().default(10).describe('Seconds in elevated at least.'),
        under_attack: z.number().int().nonnegative().default(30).describe('Seconds in under-attack at least.'),
      })
      .strict()
      .prefault({})
      .describe('Least time spent in a mode before stepping down from it.'),
    pin: z
      .enum(['normal', 'elevated', 'under-attack'])
      .optional()
      .describe('Pin a mode from start: signals no longer change it (the admin API can also pin and release).'),
    thresholds: z
      .object({
        rate_ratio: pair(3, 6).describe('Volume: requests per tick relative to the baseline.'),
        sources_ratio: pair(3, 6).describe('Volume: distinct client addresses per tick relative to the baseline.'),
        shape_share: pair(0.15, 0.3).describe(
          "Composition: share of the traffic in excess of the baseline mix, from shapes over-represented against their route's mix.",
        ),
        unique_url_delta: pair(0.25, 0.45).describe(
          'Composition: rise of distinct URLs per request above the baseline (cache busting).',
        ),
        query_entropy_delta: pair(0.8, 1.5).describe(
          'Composition: rise of the character entropy of query strings above the baseline, in bits.',
        ),
        post_share_delta: pair(0.2, 0.35).describe(
          'Composition: rise of the share of POST requests above the baseline.',
        ),
        orphan_post_delta: pair(0.3, 0.5).describe(
          'Composition: rise of the share of POSTs sent without a prior GET of the same path by the same client.',
        ),
        pressure: pair(0.7, 0.9).describe(
          'Health: saturation from 0 to 1, the worst of origin concurrency use, admission queue fill, origin latency and error rate.',
        ),
        error_rate: pair(0.05, 0.2).describe('Health: share of forwarded requests that ended in a 5xx.'),
        latency_ratio: pair(3, 6).describe('Health: mean origin latency relative to its baseline.'),
      })
      .strict()
      .prefault({})
      .describe(
        'Entry levels of each signal. Volume alone reaches elevated at most; under-attack needs volume with a composition anomaly, or a health signal alone.',
      ),
    shapes: z
      .object({
        tracked: z
          .number()
          .int()
          .min(16)
          .max(4096)
          .default(256)
          .describe('Shapes counted per tick (capacity of the space-saving sketch).'),
        baseline_capacity: z
          .number()
          .int()
          .min(64)
          .max(65_536)
          .default(4_096)
          .describe('Shapes remembered in the peacetime baseline mix.'),
        over_factor: z
          .number()
          .min(1)
          .default(4)
          .describe('A shape is over-represented when its share of its route is this many times its baseline share.'),
        floor_share: z
          .number()
          .positive()
          .max(1)
          .default(0.01)
          .describe(
            'Lowest baseline share a shape is compared against; a shape never seen in peacetime counts as this.',
          ),
        min_count: z
          .number()
          .int()
          .positive()
          .default(20)
          .describe('Requests per tick below which a shape is never flagged.'),
        max_flagged: z
          .number()
          .int()
          .positive()
          .max(256)
          .default(16)
          .describe('Shapes flagged per tick at most, the most excessive first.'),
      })
      .strict()
      .prefault({})
      .describe(
        'A shape groups requests that look alike: route, method, path template, HTTP fingerprint, and whether Cookie and Referer are sent.',
      ),
    actions: z
      .object({
        mode: z
          .enum(['enforce', 'dry-run'])
          .default('enforce')
          .describe(
            'dry-run: the requests of flagged shapes pass; what would have been done is traced and counted in metrics.',
          ),
        challenge_difficulty: z
          .number()
          .int()
          .min(1)
          .max(32)
          .default(16)
          .describe(
            'Difficulty of the challenge asked of a flagged shape: leading zero bits of SHA-256, as in `challenge.difficulty`.',
          ),
        rate_limit_after_s: z
          .number()
          .int()
          .nonnegative()
          .default(10)
          .describe(
            'Under attack: seconds a shape has been acted upon before it is rate-limited instead of challenged.',
          ),
        block_after_s: z
          .number()
          .int()
          .nonnegative()
          .default(60)
          .describe('Under attack: seconds a shape has been acted upon before it is blocked (403).'),
        min_rate: z
          .number()
          .positive()
          .default(5)
          .describe(
            'Allowance of a rate-limited shape, summed over all its clients: max(min_rate, its baseline rate × rate_multiplier) requests per second.',
          ),
        rate_multiplier: z
          .number()
          .positive()
          .default(2)
          .describe("Multiplier of the shape's baseline rate in its allowance (see `min_rate`)."),
        burst: z
          .number()
          .int()
          .nonnegative()
          .default(10)
          .describe("Requests allowed in a burst above a rate-limited shape's allowance."),
        forget_after_s: z
          .number()
          .int()
          .positive()
          .default(30)
          .describe('A shape not flagged for this many seconds is forgotten (its escalation starts over).'),
      })
      .strict()
      .prefault({})
      .describe(
        'What is done to the requests of flagged shapes, except from priority clients: challenged in elevated; under attack, challenged, then rate-limited, then blocked.',
      ),
    score: z
      .object({
        flagged_shape: z
          .number()
          .min(0)
          .max(1)
          .default(0.6)
          .describe("Added when the request's shape is being acted upon (elevated, under-attack)."),
        orphan_post: z
          .number()
          .min(0)
          .max(1)
          .default(0.3)
          .describe('Added for a POST with no prior GET of the same path by the same client.'),
        no_cookie: z.number().min(0).max(1).default(0.1).describe('Added when the request sends no cookie.'),
        bare_under_attack: z
          .number()
          .min(0)
          .max(1)
          .default(0.1)
          .describe('Added under attack when the request sends neither cookie nor Referer (a bare first request).'),
      })
      .strict()
      .prefault({})
      .describe(
        'Per-request suspicion (0 to 1) for the challenge stage, compared with `challenge.challenge_score` and `challenge.block_score`: the weights of what the request shows add up, capped at 0.9.',
      ),
    priority: z
      .object({
        session_cookies: z
          .array(z.string().regex(/^[A-Za-z0-9_.-]+$/))
          .default([])
          .describe(
            'Session cookie names of the origin; values it issued (Set-Cookie) are remembered as known clients.',
          ),
        max_sessions: z
          .number()
          .int()
          .positive()
          .default(100_000)
          .describe('Session values remembered at most (least recently used dropped first).'),
        session_ttl_s: z
          .number()
          .int()
          .positive()
          .default(86_400)
          .describe('Seconds a learned session value is remembered.'),
      })
      .strict()
      .prefault({})
      .describe(
        'The priority lane: clients known before an attack (a valid clearance, or a session the origin issued) are spared per-shape actions and bulk shedding; a session (like a `challenge.pass`) also spares the mode-wide challenges.',
      ),
    modes: z
      .object({
        normal: modePolicy(1, 'normal', false).describe('Policy in normal mode.'),
        elevated: modePolicy(0.75, 'stale-ok', false).describe('Policy in elevated mode.'),
        under_attack: modePolicy(0.5, 'stale-first', true).describe('Policy in under-attack mode.'),
      })
      .strict()
      .prefault({})
      .describe('What each protection mode changes.'),
  })
  .strict();

export type DetectConfig = z.infer<typeof detectSchema>;
export type ModePolicyConfig = DetectConfig['modes']['normal'];

/** Defaults, for tests and for a config without a `detect:` section. */
export function defaultDetectConfig(over: Record<string, unknown> = {}): DetectConfig {
  return detectSchema.parse(over);
}
