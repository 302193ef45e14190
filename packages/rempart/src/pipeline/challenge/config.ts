import { z } from 'zod';

// The `challenge:` section. Secrets may be written "env:NAME" (resolved by config/load.ts). Without a secret the
// gateway makes a random one per process: fine for one instance, but clearances then die on restart.

const classList = z.array(z.enum(['critical', 'normal', 'bulk', 'static']));

export const challengeSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Off: the challenge stage lets every request through (`block_score` included); detection's per-shape challenges still apply.",
      ),
    secret: z
      .string()
      .min(32)
      .optional()
      .describe(
        'HMAC key signing challenges and clearances; write it `env:NAME`. Without it a random key per process: clearances end on restart and are not shared by instances.',
      ),
    previous_secret: z
      .string()
      .min(32)
      .optional()
      .describe('The previous key, still accepted while the tokens signed with it live (key rotation).'),
    classes: z
      .object({
        normal: classList.default([]).describe('Route classes challenged in normal mode.'),
        elevated: classList.default(['bulk']).describe('Route classes challenged in elevated mode.'),
        'under-attack': classList
          .default(['critical', 'normal', 'bulk'])
          .describe('Route classes challenged in under-attack mode.'),
      })
      .strict()
      .prefault({})
      .describe('Route classes challenged without a valid clearance, per mode.'),
    challenge_score: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        'Client score (0 to 1, from `detect.score`) at or above which a request without a valid clearance is challenged, in any mode.',
      ),
    block_score: z
      .number()
      .min(0)
      .max(1)
      .default(0.95)
      .describe('Client score at or above which a request is refused with 403, clearance or not.'),
    difficulty: z
      .object({
        base: z
          .number()
          .int()
          .min(1)
          .max(32)
          .default(14)
          .describe(
            'Bits asked in normal mode at score 0; elevated adds 1, under-attack 2, the score up to 4 and pressure up to 2.',
          ),
        max: z
          .number()
          .int()
          .min(1)
          .max(32)
          .default(20)
          .describe('Most bits asked, whatever the mode, score and pressure.'),
        max_solve_ms: z
          .number()
          .int()
          .positive()
          .default(8_000)
          .describe(
            'Longest a challenge should take on a median device: the bits asked are capped from the solve times clients report.',
          ),
      })
      .strict()
      .prefault({})
      .describe('Proof-of-work difficulty, in leading zero bits of SHA-256 (`proof: sha256`).'),
    proof: z
      .enum(['sha256', 'scrypt'])
      .default('sha256')
      .describe(
        'The proof of work asked: `sha256` (checked in about a microsecond) or `scrypt`, memory-hard (each guess needs 128 × n × r bytes), which takes away most of the advantage of GPU farms at a server cost of milliseconds per check (see `scrypt`). The algorithm and parameters are signed into each challenge.',
      ),
    scrypt: z
      .object({
        n: z
          .literal([1024, 2048, 4096, 8192, 16384])
          .default(4096)
          .describe(
            'scrypt cost N, a power of two: memory per guess is 128 × n × r bytes (4 MiB at 4096 × 8), and time grows with it.',
          ),
        r: z.number().int().min(1).max(16).default(8).describe('scrypt block size r.'),
        p: z
          .number()
          .int()
          .min(1)
          .max(4)
          .default(1)
          .describe('scrypt parallelisation p: a browser runs the p mixes one after the other, p times the work.'),
        base: z
          .number()
          .int()
          .min(1)
          .max(16)
          .default(4)
          .describe(
            'Bits asked in normal mode at score 0 (elevated adds 1, under-attack 2, the score up to 4 and pressure up to 2); each bit doubles the expected number of scrypt guesses.',
          ),
        max: z
          .number()
          .int()
          .min(1)
          .max(16)
          .default(8)
          .describe(
            'Most bits asked; a per-shape challenge from detection (`detect.actions.challenge_difficulty`, counted in SHA-256 bits) is capped to it too.',
          ),
        max_verifying: z
          .number()
          .int()
          .min(1)
          .max(64)
          .default(4)
          .describe(
            "scrypt checks running at once on the server (on libuv's thread pool); beyond, /.rempart/verify answers 503 with Retry-After and the challenge stays usable.",
          ),
      })
      .strict()
      .prefault({})
      .describe(
        'The memory-hard proof (`proof: scrypt`): a counter such that scrypt("<challenge>:<counter>", salt "<challenge>", n, r, p, 32 bytes) starts with the bits asked. The signature, expiry and single use of a challenge are checked before any scrypt runs, so each challenge buys one check at most.',
      ),
    clearance: z
      .object({
        ttl_s: z
          .number()
          .int()
          .positive()
          .default(1_800)
          .describe("Lifetime of a clearance, in seconds (also the cookie's Max-Age)."),
        budget: z
          .number()
          .int()
          .positive()
          .max(1_000_000)
          .default(2_000)
          .describe(
            'Requests one clearance may make before it must be earned again; a clearance earned without JavaScript gets a tenth.',
          ),
        cookie: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default('__rempart')
          .describe('Name of the clearance cookie.'),
        secure: z
          .boolean()
          .default(true)
          .describe(
            'Set the Secure flag even on cleartext listeners (behind a TLS-terminating balancer); when false, only on https listeners.',
          ),
      })
      .strict()
      .prefault({})
      .describe(
        "What a solved challenge earns: a signed token (cookie, or the rempart-clearance header) bound to the client's /24 or /64 and User-Agent.",
      ),
    pass: z
      .object({
        enabled: z.boolean().default(true).describe('Hand out visitor passes in normal mode.'),
        ttl_s: z
          .number()
          .int()
          .positive()
          .max(31_536_000)
          .default(604_800)
          .describe("Lifetime of a pass, in seconds (also the cookie's Max-Age)."),
        budget: z
          .number()
          .int()
          .positive()
          .max(1_000_000)
          .default(1_000)
          .describe(
            "Requests one pass may have spared the mode's class-wide challenges and bulk shedding before it stops counting.",
          ),
        cookie: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default('__rempart_pass')
          .describe('Name of the pass cookie.'),
      })
      .strict()
      .prefault({})
      .describe(
        "The priority lane for people who came before an attack: in normal mode a browser's page load (GET asking for text/html) that the gateway serves gets a signed pass cookie, bound to the client's /24 or /64 and User-Agent. Outside normal mode a live pass spares its holder the mode's class-wide challenges and bulk shedding, never score-based challenges, rate limits, admission limits or per-shape actions. No pass is handed out outside normal mode, so a flood's clients cannot earn one once an attack is seen.",
      ),
    challenge_ttl_s: z
      .number()
      .int()
      .positive()
      .default(300)
      .describe('Seconds a challenge stays valid: to be solved, or without JavaScript to be used after its wait.'),
    nojs_wait_s: z
      .number()
      .int()
      .min(1)
      .max(60)
      .default(5)
      .describe(
        "Without JavaScript: seconds a person waits before the page's challenge, followed as a link, earns a clearance. Signed into each challenge: a reload changes only the challenges issued after it.",
      ),
    max_form_bytes: z
      .number()
      .int()
      .nonnegative()
      .max(262_144)
      .default(32_768)
      .describe(
        'A urlencoded POST body up to this many bytes is kept in the challenge page and resubmitted after solving; a larger one must be sent again by the user.',
      ),
    max_tracked: z
      .number()
      .int()
      .positive()
      .default(200_000)
      .describe('Capacity of each bounded memory: used challenge ids, clearance request counts.'),
    branding: z
      .object({
        name: z.string().max(80).default('Rempart').describe('Service name shown on the challenge page.'),
        logo: z
          .string()
          .max(4_096)
          .optional()
          .describe(
            "Logo shown instead of the name: a same-origin path or a data: URL (the page's CSP allows nothing else).",
          ),
        message_fr: z.string().max(300).optional().describe("French text replacing the page's default explanation."),
        message_en: z.string().max(300).optional().describe("English text replacing the page's default explanation."),
      })
      .strict()
      .prefault({})
      .describe('What the challenge page shows.'),
  })
  .strict();

export type ChallengeConfig = z.infer<typeof challengeSchema>;

/** Defaults, for tests and for a gateway whose config has no challenge section. */
export function defaultChallengeConfig(over: Partial<z.input<typeof challengeSchema>> = {}): ChallengeConfig {
  return challengeSchema.parse(over);
}
