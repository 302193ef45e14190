import { z } from 'zod';
import { detectSchema } from '../detect/config.ts';
import { cacheSchema } from '../pipeline/cache/config.ts';
import { challengeSchema } from '../pipeline/challenge/config.ts';

// The whole configuration as typed data. Validated once at load (config/load.ts), then compiled into
// matchers and rules; nothing here is read on the hot path. snake_case keys: it is what operators write in YAML.

const ms = z.number().int().nonnegative();
const positiveInt = z.number().int().positive();
const cidr = z.string().min(1).describe('IPv4/IPv6 address or CIDR block');
const ruleMode = z.enum(['enforce', 'dry-run']).default('enforce');
export const routeClass = z.enum(['critical', 'normal', 'bulk', 'static']);

export const listenerSchema = z
  .object({
    name: z.string().min(1),
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535),
    /** http: cleartext HTTP/1.1; https: TLS with ALPN h2 + http/1.1. */
    protocol: z.enum(['http', 'https']).default('http'),
    tls: z.object({ cert: z.string(), key: z.string() }).strict().optional(),
    /** Expect a PROXY protocol v2 header from a trusted load balancer on every connection. */
    proxy_protocol: z.boolean().default(false),
  })
  .strict();

export const limitsSchema = z
  .object({
    max_connections: positiveInt.default(20_000),
    max_connections_per_ip: positiveInt.default(128),
    header_timeout_ms: ms.default(10_000),
    request_timeout_ms: ms.default(30_000),
    keepalive_timeout_ms: ms.default(5_000),
    /** A request body slower than this many bytes per second (after a grace period) gets 408 and close. */
    min_body_rate_bps: z.number().int().nonnegative().default(1024),
    body_rate_grace_ms: ms.default(5_000),
    max_header_bytes: positiveInt.default(16_384),
    max_headers: positiveInt.default(100),
    max_url_bytes: positiveInt.default(8_192),
    max_body_bytes: z.number().int().nonnegative().default(1_048_576),
    max_requests_per_socket: z.number().int().nonnegative().default(1_000),
    h2: z
      .object({
        max_concurrent_streams: positiveInt.default(100),
        max_header_list_bytes: positiveInt.default(16_384),
        /** Stream resets + protocol errors tolerated per connection per 10 s before the session is closed. */
        max_resets_per_10s: positiveInt.default(200),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const upstreamSchema = z
  .object({
    name: z.string().min(1),
    url: z.url(),
    max_connections: positiveInt.default(128),
    connect_timeout_ms: ms.default(2_000),
    headers_timeout_ms: ms.default(15_000),
    body_timeout_ms: ms.default(30_000),
    retries: z.number().int().min(0).max(5).default(1),
    health: z
      .object({
        path: z.string().default('/healthz'),
        interval_ms: positiveInt.default(2_000),
        timeout_ms: positiveInt.default(1_000),
        unhealthy_after: positiveInt.default(3),
        healthy_after: positiveInt.default(2),
      })
      .strict()
      .optional(),
    /** Passive ejection: consecutive 5xx/connect failures before the upstream is marked down. */
    eject_after_failures: positiveInt.default(5),
    concurrency: z
      .object({
        initial: positiveInt.default(32),
        min: positiveInt.default(4),
        max: positiveInt.default(512),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const routeSchema = z
  .object({
    name: z.string().min(1),
    match: z
      .object({
        methods: z.array(z.string().toUpperCase()).optional(),
        path_prefix: z.string().startsWith('/').optional(),
        path_regex: z.string().optional(),
        host: z.string().optional(),
      })
      .strict()
      .prefault({}),
    class: routeClass.default('normal'),
    upstream: z.string().optional(),
    max_body_bytes: z.number().int().nonnegative().optional(),
  })
  .strict();

/** A key part: built-ins, or an attribute of the request. Parts are joined to form the state key. */
export const keyPart = z.union([
  z.enum(['ip', 'prefix', 'route', 'method', 'path', 'fingerprint']),
  z
    .string()
    .regex(/^(header|cookie|query|form):[A-Za-z0-9_.-]+$/, 'use header:NAME, cookie:NAME, query:NAME or form:NAME'),
]);

const ruleScope = {
  /** Route names this rule applies to; all routes when absent. */
  routes: z.array(z.string()).optional(),
  /** Route classes this rule applies to; all when absent. */
  classes: z.array(routeClass).optional(),
  methods: z.array(z.string().toUpperCase()).optional(),
};

export const rateLimitSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes'),
    key: z.array(keyPart).min(1),
    /** Sustained requests per second allowed per key. */
    rate: z.number().positive(),
    burst: z.number().int().nonnegative().default(0),
    mode: ruleMode,
    ...ruleScope,
  })
  .strict();

export const distinctLimitSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes'),
    key: z.array(keyPart).min(1),
    /** What is counted: distinct values of this request attribute per key. */
    count: keyPart,
    limit: positiveInt,
    window_s: positiveInt.default(600),
    mode: ruleMode,
    ...ruleScope,
  })
  .strict();

export const banRuleSchema = z
  .object({
    /** Ban a client automatically after this many refusals by rate limits within window_s. */
    after_refusals: positiveInt.default(200),
    window_s: positiveInt.default(60),
    ttl_s: positiveInt.default(600),
    /** Ban the whole /24 (/64) instead of the single address. */
    scope: z.enum(['ip', 'prefix']).default('ip'),
    mode: ruleMode,
  })
  .strict();

export const admissionSchema = z
  .object({
    queue_size: positiveInt.default(2_000),
    deadline_ms: z
      .object({
        critical: positiveInt.default(5_000),
        normal: positiveInt.default(2_000),
        bulk: positiveInt.default(500),
        static: positiveInt.default(1_000),
      })
      .strict()
      .prefault({}),
    retry_after_s: positiveInt.default(5),
  })
  .strict();

export const configSchema = z
  .object({
    listeners: z.array(listenerSchema).min(1),
    admin: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9090),
        /** Bearer token; "env:NAME" reads it from the environment. */
        token: z.string().min(16, 'admin token must be at least 16 characters'),
      })
      .strict(),
    trusted_proxies: z.array(cidr).default([]),
    /** Which header trusted proxies write the client address into (walked right to left, trusted hops skipped). */
    forwarded_header: z.enum(['x-forwarded-for', 'forwarded']).default('x-forwarded-for'),
    limits: limitsSchema.prefault({}),
    upstreams: z.array(upstreamSchema).min(1),
    routes: z.array(routeSchema).default([]),
    access: z
      .object({ allow: z.array(cidr).default([]), deny: z.array(cidr).default([]) })
      .strict()
      .prefault({}),
    rate_limits: z.array(rateLimitSchema).default([]),
    distinct_limits: z.array(distinctLimitSchema).default([]),
    auto_ban: banRuleSchema.optional(),
    admission: admissionSchema.prefault({}),
    challenge: challengeSchema.prefault({}),
    detect: detectSchema.prefault({}),
    cache: cacheSchema.prefault({}),
    state: z
      .object({
        backend: z.enum(['memory', 'redis']).default('memory'),
        /** Capacity of each state table (rate buckets, distinct sets, bans). */
        max_entries: positiveInt.default(200_000),
        redis_url: z.string().optional(),
        key_prefix: z.string().default('rempart:'),
      })
      .strict()
      .prefault({}),
    logging: z
      .object({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
        /** Access log lines per second kept at most; the rest are counted, not written. */
        max_lines_per_s: positiveInt.default(200),
        /** Where logs go: "stdout", "stderr" or a file path. */
        destination: z.string().default('stdout'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ListenerConfig = z.infer<typeof listenerSchema>;
export type UpstreamConfig = z.infer<typeof upstreamSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
export type RateLimitConfig = z.infer<typeof rateLimitSchema>;
export type DistinctLimitConfig = z.infer<typeof distinctLimitSchema>;
export type LimitsConfig = z.infer<typeof limitsSchema>;
export type KeyPart = z.infer<typeof keyPart>;
