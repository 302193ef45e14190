import { z } from 'zod';
import { detectSchema } from '../detect/config.ts';
import { cacheSchema } from '../pipeline/cache/config.ts';
import { challengeSchema } from '../pipeline/challenge/config.ts';

// The whole configuration as typed data. Validated once at load (config/load.ts), then compiled into
// matchers and rules; nothing here is read on the hot path. snake_case keys: it is what operators write in YAML.
// Every field documents itself with .describe(): docs/configuration.md and `rempart schema` are generated from
// it, so put operator-facing documentation there (last in the chain, after .default()/.optional()).

const ms = z.number().int().nonnegative();
const positiveInt = z.number().int().positive();
const cidr = z.string().min(1).describe('IPv4/IPv6 address or CIDR block');
const ruleMode = z.enum(['enforce', 'dry-run']).default('enforce');
const RULE_MODE_DOC =
  'enforce: refusals are answered; dry-run: they are only traced and counted in metrics, the request goes on.';
const RULE_NAME_DOC = 'Rule name; its refusals show as `ratelimit/NAME` in headers, logs and metrics.';
const RULE_KEY_DOC =
  'Request attributes joined into the key counted (`prefix`: the client /24 or /64; `fingerprint`: its HTTP ' +
  'fingerprint); a request lacking one of them is not counted by this rule.';
const LIMIT_SCALING = "scaled by the current mode's `detect.modes.*.limit_multiplier`";
export const routeClass = z.enum(['critical', 'normal', 'bulk', 'static']);

export const listenerSchema = z
  .object({
    name: z.string().min(1).describe('Listener name, in logs and metrics; unique.'),
    host: z.string().default('127.0.0.1').describe('Address to bind.'),
    port: z.number().int().min(0).max(65535).describe('Port to bind; 0 lets the system pick a free one.'),
    protocol: z
      .enum(['http', 'https'])
      .default('http')
      .describe('http: cleartext HTTP/1.1; https: TLS with ALPN h2 and http/1.1 (needs `tls`).'),
    tls: z
      .object({
        cert: z.string().describe('Path of the PEM certificate (chain) file, read at start.'),
        key: z.string().describe('Path of the PEM private key file, read at start.'),
        client_ca: z
          .string()
          .optional()
          .describe(
            'Path of a PEM file of the CA certificates client certificates are checked against, read at start. When set, the listener asks every client for a certificate; a client without one (or with one from another CA) still connects and is treated like any other.',
          ),
        allow_client_certs: z
          .boolean()
          .optional()
          .describe(
            'true: allow-list the requests of connections whose client certificate chains to `client_ca` (rule `access/allow-mtls:LISTENER`), like `access.allow`; needs `client_ca`. Absent or false: certificates are checked but give nothing.',
          ),
      })
      .strict()
      .optional()
      .describe('Certificate and key of an https listener.'),
    proxy_protocol: z
      .boolean()
      .default(false)
      .describe(
        'Expect a PROXY protocol v2 header on every connection; connections from peers outside `trusted_proxies` are refused.',
      ),
  })
  .strict();

export const limitsSchema = z
  .object({
    max_connections: positiveInt
      .default(20_000)
      .describe('Open connections per listener at most; beyond, new connections are closed at once.'),
    max_connections_per_ip: positiveInt
      .default(128)
      .describe('Open connections per client address per listener at most.'),
    header_timeout_ms: ms
      .default(10_000)
      .describe(
        'Time allowed to receive the request headers (408 after), capped at `request_timeout_ms` when that is set; also the TLS handshake timeout.',
      ),
    request_timeout_ms: ms
      .default(30_000)
      .describe(
        'Time allowed to receive a whole request, headers and body; 0 disables it. Also the idle timeout of an HTTP/2 connection (30 s when 0).',
      ),
    keepalive_timeout_ms: ms
      .default(5_000)
      .describe('How long an idle keep-alive connection is kept open between two requests.'),
    min_body_rate_bps: z
      .number()
      .int()
      .nonnegative()
      .default(1024)
      .describe(
        'Slowest request body accepted, in bytes per second over each `body_rate_grace_ms` window; slower gets 408 and close. 0 disables it.',
      ),
    body_rate_grace_ms: ms
      .default(5_000)
      .describe(
        'Length of each window over which the body rate is checked, so also the grace before the first check; 0 disables the check.',
      ),
    max_header_bytes: positiveInt
      .default(16_384)
      .describe('Largest size of the request headers, in bytes (431 beyond).'),
    max_headers: positiveInt.default(100).describe('Most request headers accepted (431 beyond).'),
    max_url_bytes: positiveInt.default(8_192).describe('Longest request target, path and query string (414 beyond).'),
    max_body_bytes: z
      .number()
      .int()
      .nonnegative()
      .default(1_048_576)
      .describe('Largest request body (413 beyond); 0 allows no body. A route can set its own.'),
    max_requests_per_socket: z
      .number()
      .int()
      .nonnegative()
      .default(1_000)
      .describe('Requests on one HTTP/1.1 connection before it is closed; 0 for no limit.'),
    h2: z
      .object({
        max_concurrent_streams: positiveInt.default(100).describe('Concurrent streams per HTTP/2 connection.'),
        max_header_list_bytes: positiveInt
          .default(16_384)
          .describe('Largest header list of an HTTP/2 request, in bytes.'),
        max_resets_per_10s: positiveInt
          .default(200)
          .describe(
            'Stream resets and protocol errors tolerated per connection per 10 s before the connection is closed (rapid reset).',
          ),
      })
      .strict()
      .prefault({})
      .describe('HTTP/2 limits (https listeners).'),
  })
  .strict();

export const upstreamSchema = z
  .object({
    name: z.string().min(1).describe('Upstream name, what `routes[].upstream` refers to.'),
    url: z.url().describe('Origin base URL; a path in it is prepended to every forwarded request path.'),
    max_connections: positiveInt
      .default(128)
      .describe('Connections to the origin at most; more requests wait for a free one up to `headers_timeout_ms`.'),
    connect_timeout_ms: ms.default(2_000).describe('Time allowed to open a connection to the origin.'),
    headers_timeout_ms: ms
      .default(15_000)
      .describe(
        'Time allowed for the origin response headers (504 after); also the longest wait for a free connection.',
      ),
    body_timeout_ms: ms
      .default(30_000)
      .describe('Longest pause allowed between two chunks of the origin response body.'),
    retries: z
      .number()
      .int()
      .min(0)
      .max(5)
      .default(1)
      .describe(
        'Retries of a failed attempt, only for idempotent requests without a body whose connection failed before any response.',
      ),
    health: z
      .object({
        path: z
          .string()
          .default('/healthz')
          .describe('Path probed with GET, after the path of `url`; a 2xx or 3xx answer is a good probe.'),
        interval_ms: positiveInt.default(2_000).describe('Time between two probes.'),
        timeout_ms: positiveInt.default(1_000).describe('Time allowed for one probe.'),
        unhealthy_after: positiveInt.default(3).describe('Consecutive failed probes before the upstream is down.'),
        healthy_after: positiveInt.default(2).describe('Consecutive good probes before a down upstream is up again.'),
      })
      .strict()
      .optional()
      .describe('Active health checks; without them the upstream is up unless ejected.'),
    eject_after_failures: positiveInt
      .default(5)
      .describe(
        'Consecutive failed requests (5xx, error, timeout) before the upstream is ejected: 1 s, doubling on each relapse up to 30 s, then one trial request.',
      ),
    concurrency: z
      .object({
        initial: positiveInt.default(32).describe('Limit at start.'),
        min: positiveInt.default(4).describe('Lowest the limit goes.'),
        max: positiveInt.default(512).describe('Highest the limit goes.'),
      })
      .strict()
      .prefault({})
      .describe(
        'Adaptive limit of requests in flight to this upstream: it grows while origin latency stays near its idle level and shrinks as latency rises; requests beyond it wait in the admission queue.',
      ),
  })
  .strict();

export const routeSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .describe('Route name, shown in logs; `rate_limits[].routes` and `cache.routes[].route` refer to it.'),
    match: z
      .object({
        methods: z.array(z.string().toUpperCase()).optional().describe('HTTP methods matched; any when absent.'),
        path_prefix: z
          .string()
          .startsWith('/')
          .optional()
          .describe('The path (without the query string) starts with this.'),
        path_regex: z
          .string()
          .optional()
          .describe('JavaScript regular expression tested on the path (without the query string).'),
        host: z
          .string()
          .optional()
          .describe('Host without port, case-insensitive; `*.example.org` matches every subdomain of example.org.'),
      })
      .strict()
      .prefault({})
      .describe('Conditions that must all hold; an empty match takes every request.'),
    class: routeClass
      .default('normal')
      .describe(
        'Priority class: decides the admission queue order and deadline, the challenges of each mode and bulk shedding.',
      ),
    upstream: z.string().optional().describe('Upstream name; the first upstream when absent.'),
    max_body_bytes: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('Largest request body on this route (413 beyond); `limits.max_body_bytes` when absent.'),
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
  routes: z
    .array(z.string())
    .optional()
    .describe('Route names this rule applies to (then never the default route); all routes when absent.'),
  classes: z.array(routeClass).optional().describe('Route classes this rule applies to; all when absent.'),
  methods: z.array(z.string().toUpperCase()).optional().describe('HTTP methods this rule applies to; all when absent.'),
};

export const rateLimitSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes')
      .describe(RULE_NAME_DOC),
    key: z.array(keyPart).min(1).describe(RULE_KEY_DOC),
    rate: z.number().positive().describe(`Sustained requests per second allowed per key, ${LIMIT_SCALING}.`),
    burst: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('Requests allowed in a burst above the sustained rate, scaled like `rate`.'),
    mode: ruleMode.describe(RULE_MODE_DOC),
    ...ruleScope,
  })
  .strict();

export const distinctLimitSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes')
      .describe(RULE_NAME_DOC),
    key: z.array(keyPart).min(1).describe(RULE_KEY_DOC),
    count: keyPart.describe('What is counted: the distinct values of this request attribute per key.'),
    limit: positiveInt.describe(
      `Distinct values allowed per key within the window, ${LIMIT_SCALING}; a new value beyond them gets 429.`,
    ),
    window_s: positiveInt
      .default(600)
      .describe("Window length, in seconds, from the key's first value; the count then starts over."),
    mode: ruleMode.describe(RULE_MODE_DOC),
    ...ruleScope,
  })
  .strict();

export const banRuleSchema = z
  .object({
    after_refusals: positiveInt
      .default(200)
      .describe('Ban a client refused (429) by rate or distinct limits more than this many times within `window_s`.'),
    window_s: positiveInt.default(60).describe('Sliding window, in seconds, over which refusals are counted.'),
    ttl_s: positiveInt.default(600).describe('Duration of a first ban, in seconds.'),
    max_ttl_s: positiveInt
      .default(86_400)
      .describe(
        'Longest ban: each new ban of the same client within `escalate_window_s` of its previous ones doubles the duration, up to this.',
      ),
    escalate_window_s: positiveInt
      .default(86_400)
      .describe('How long past bans of a client are remembered to escalate the next one.'),
    scope: z
      .enum(['ip', 'prefix'])
      .default('ip')
      .describe('Ban the single address (ip) or its whole /24 or /64 (prefix).'),
    mode: ruleMode.describe(
      'enforce: bans are written; dry-run: would-be bans are only traced and counted in metrics.',
    ),
  })
  .strict();

export const admissionSchema = z
  .object({
    queue_size: positiveInt
      .default(2_000)
      .describe(
        'Requests waiting for an origin slot, per upstream; when full, the oldest waiting request of a lower class is shed for a new one, else the new one is.',
      ),
    deadline_ms: z
      .object({
        critical: positiveInt.default(5_000).describe('Longest wait of a critical request.'),
        normal: positiveInt.default(2_000).describe('Longest wait of a normal request.'),
        bulk: positiveInt.default(500).describe('Longest wait of a bulk request.'),
        static: positiveInt.default(1_000).describe('Longest wait of a static request.'),
      })
      .strict()
      .prefault({})
      .describe('Longest time a request of each route class waits in the queue before it is shed with 503.'),
    retry_after_s: positiveInt.default(5).describe('Retry-After, in seconds, of a 503 answered when shedding.'),
  })
  .strict();

export const allowTokenSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes')
      .describe('Token name; its requests show as `access/allow-token:NAME` in traces and metrics.'),
    header: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name')
      .describe('Request header carrying the token (any case); removed from every request sent to the origin.'),
    token: z
      .string()
      .min(16, 'token must be at least 16 characters')
      .regex(/^[\x21-\x7e]+$/, 'token must be printable ASCII without spaces')
      .describe('The secret the header must hold, exactly; write it `env:NAME`. Only its SHA-256 digest is kept.'),
  })
  .strict();

export const configSchema = z
  .object({
    listeners: z
      .array(listenerSchema)
      .min(1)
      .describe('The public listeners, where clients connect. Changing them needs a restart.'),
    admin: z
      .object({
        host: z.string().default('127.0.0.1').describe('Address the admin listener binds; keep it private.'),
        port: z
          .number()
          .int()
          .min(0)
          .max(65535)
          .default(9090)
          .describe('Port the admin listener binds; 0 lets the system pick a free one.'),
        token: z
          .string()
          .min(16, 'admin token must be at least 16 characters')
          .describe('Bearer token every admin route but /healthz and /readyz requires; write it `env:NAME`.'),
      })
      .strict()
      .describe('The admin API and /metrics, on a listener of their own. Changing host or port needs a restart.'),
    trusted_proxies: z
      .array(cidr)
      .default([])
      .describe(
        'Proxies and load balancers in front of the gateway: their forwarding header names the client, they may send the PROXY protocol, and their X-Forwarded-For, Forwarded and X-Request-Id are extended, not replaced.',
      ),
    forwarded_header: z
      .enum(['x-forwarded-for', 'forwarded'])
      .default('x-forwarded-for')
      .describe(
        'Header trusted proxies write the client address into; walked right to left, trusted hops skipped, the first untrusted address is the client.',
      ),
    limits: limitsSchema.prefault({}).describe('Connection and request limits of the public listeners.'),
    upstreams: z
      .array(upstreamSchema)
      .min(1)
      .describe('The origin servers. A request that matches no route goes to the first one.'),
    routes: z
      .array(routeSchema)
      .default([])
      .describe(
        'Request classification, in order: the first route that matches wins; a request matching none gets the default route (class normal, first upstream).',
      ),
    access: z
      .object({
        allow: z
          .array(cidr)
          .default([])
          .describe(
            "Clients exempt from bans, rate and distinct limits and the challenge stage's rules (detection's per-shape actions still apply).",
          ),
        deny: z.array(cidr).default([]).describe('Clients refused with 403.'),
        allow_tokens: z
          .array(allowTokenSchema)
          .default([])
          .describe(
            'Partner and monitoring tokens: a request whose header holds one is exempt like `allow` (a `deny` block still refuses it). Header names may be shared by several tokens.',
          ),
      })
      .strict()
      .prefault({})
      .describe(
        'Allow and deny lists. When both hold a block containing the client, the more specific block wins; at equal length, deny.',
      ),
    rate_limits: z
      .array(rateLimitSchema)
      .default([])
      .describe('Request rate limits per key (GCRA); a refusal is a 429 with Retry-After. Checked in order.'),
    distinct_limits: z
      .array(distinctLimitSchema)
      .default([])
      .describe(
        'Limits on how many distinct values of an attribute one key may send in a window (for example usernames per IP).',
      ),
    auto_ban: banRuleSchema
      .optional()
      .describe('Automatic bans of clients that keep being refused by the limits; no automatic bans when absent.'),
    admission: admissionSchema
      .prefault({})
      .describe(
        'The queue of requests waiting for an origin slot under the adaptive limit (`upstreams[].concurrency`); higher classes are served first.',
      ),
    challenge: challengeSchema.prefault({}).describe('Proof-of-work challenges and the clearances they earn.'),
    detect: detectSchema
      .prefault({})
      .describe(
        'Attack detection: signals computed every tick set the protection mode (normal, elevated, under-attack) and flag request shapes.',
      ),
    cache: cacheSchema
      .prefault({})
      .describe('A seconds-long micro-cache of GET and HEAD responses, on the routes listed in `routes` only.'),
    workers: z
      .union([z.number().int().min(1).max(64), z.literal('auto')])
      .default(1)
      .describe(
        'Threads serving the public listeners, each with its own event loop on the same ports (the kernel spreads connections over them); `auto` is one per CPU. With more than one, the memory state lives in shared memory, so rate and distinct limits, bans and challenge ids stay exact across workers; detection, admission limits and the micro-cache are per worker. Changing it needs a restart.',
      ),
    state: z
      .object({
        backend: z
          .enum(['memory', 'redis'])
          .default('memory')
          .describe(
            '`memory`: this process only. `redis`: counters and bans shared by every gateway using the same Redis and `key_prefix` (falls back to local state while Redis is unreachable).',
          ),
        max_entries: positiveInt
          .default(200_000)
          .describe(
            'Capacity of each state table (rate buckets, distinct sets, bans); least recently used entries go first.',
          ),
        redis_url: z.string().optional().describe('Redis URL; required when `backend` is redis.'),
        key_prefix: z.string().default('rempart:').describe('Prefix of the keys written to Redis (redis backend).'),
        redis_timeout_ms: positiveInt
          .default(250)
          .describe(
            'A Redis command unanswered after this long fails, and the gateway answers from local state until Redis is healthy again.',
          ),
      })
      .strict()
      .prefault({})
      .describe('Where rate buckets, distinct sets and bans are kept. Changing it needs a restart.'),
    logging: z
      .object({
        level: z
          .enum(['trace', 'debug', 'info', 'warn', 'error', 'silent'])
          .default('info')
          .describe('Lowest level written; access lines are info, so warn and above hide them.'),
        max_lines_per_s: positiveInt
          .default(200)
          .describe(
            'Access and decision lines written per second at most; the rest are counted and reported in one summary line.',
          ),
        destination: z
          .string()
          .default('stdout')
          .describe('Where logs go: stdout, stderr or a file path. Changing it needs a restart.'),
      })
      .strict()
      .prefault({})
      .describe('Logs, as JSON lines.'),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ListenerConfig = z.infer<typeof listenerSchema>;
export type UpstreamConfig = z.infer<typeof upstreamSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
export type RateLimitConfig = z.infer<typeof rateLimitSchema>;
export type DistinctLimitConfig = z.infer<typeof distinctLimitSchema>;
export type LimitsConfig = z.infer<typeof limitsSchema>;
export type AllowTokenConfig = z.infer<typeof allowTokenSchema>;
export type KeyPart = z.infer<typeof keyPart>;
