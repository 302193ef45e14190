import { z } from 'zod';

// The `challenge:` section. Secrets may be written "env:NAME" (resolved by config/load.ts). Without a secret the
// gateway makes a random one per process: fine for one instance, but clearances then die on restart.

const classList = z.array(z.enum(['critical', 'normal', 'bulk', 'static']));

export const challengeSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Current HMAC key (≥ 32 chars) and the previous one, still accepted while clearances signed with it live. */
    secret: z.string().min(32).optional(),
    previous_secret: z.string().min(32).optional(),
    /** Route classes challenged without clearance, per mode. */
    classes: z
      .object({
        normal: classList.default([]),
        elevated: classList.default(['bulk']),
        'under-attack': classList.default(['critical', 'normal', 'bulk']),
      })
      .strict()
      .prefault({}),
    /** Client score (0..1, from detection) at or above which a client is challenged in any mode / blocked. */
    challenge_score: z.number().min(0).max(1).default(0.5),
    block_score: z.number().min(0).max(1).default(0.95),
    /** Leading zero bits of SHA-256 asked for: base, and the cap whatever the suspicion. */
    difficulty: z
      .object({
        base: z.number().int().min(1).max(32).default(14),
        max: z.number().int().min(1).max(32).default(20),
        /** A challenge must never take longer than this on a median device (measured from reported solve times). */
        max_solve_ms: z.number().int().positive().default(8_000),
      })
      .strict()
      .prefault({}),
    clearance: z
      .object({
        ttl_s: z.number().int().positive().default(1_800),
        /** Requests one clearance may make before it must be earned again. */
        budget: z.number().int().positive().max(1_000_000).default(2_000),
        cookie: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default('__rempart'),
        /** Force the Secure flag even on cleartext listeners (behind a TLS-terminating balancer). */
        secure: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** How long a challenge may stay unsolved. */
    challenge_ttl_s: z.number().int().positive().default(300),
    /** No-JS path: seconds a person waits before the signed ticket turns valid. */
    nojs_wait_s: z.number().int().min(1).max(60).default(5),
    /** POST bodies up to this size are kept in the challenge page and resubmitted after solving. */
    max_form_bytes: z.number().int().nonnegative().max(262_144).default(32_768),
    /** Bounded memories: used challenge nonces, clearance request counters. */
    max_tracked: z.number().int().positive().default(200_000),
    branding: z
      .object({
        name: z.string().max(80).default('Rempart'),
        /** Same-origin path or data: URL (the page's CSP allows nothing else). */
        logo: z.string().max(4_096).optional(),
        message_fr: z.string().max(300).optional(),
        message_en: z.string().max(300).optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type ChallengeConfig = z.infer<typeof challengeSchema>;

/** Defaults, for tests and for a gateway whose config has no challenge section. */
export function defaultChallengeConfig(over: Partial<z.input<typeof challengeSchema>> = {}): ChallengeConfig {
  return challengeSchema.parse(over);
}
