import { createHash } from 'node:crypto';

// The Redis backend's atomic operations, one Lua script each. Each mirrors its memory-store counterpart line
// for line (same float operations in the same order, so both backends pass the same contract table). Lua
// numbers returned to Redis are truncated to integers, so fractional values travel as "%.17g" strings, which
// round-trip a double exactly. Times are the gateway's clock (passed in), so every gateway must run NTP; TTLs
// only clean up keys and are set in Redis's own milliseconds.

export interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha1: string;
}

function script(name: string, source: string): Script {
  return { name, source, sha1: createHash('sha1').update(source).digest('hex') };
}

const F = "local function f(x) return string.format('%.17g', x) end\n";

/** KEYS[1] bucket; ARGV now, cost, emissionMs, burst → {allowed 0|1, retryAfterMs string, remaining}. */
export const GCRA = script(
  'gcra',
  `${F}local now, cost, e, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]))
local base = now
if tat ~= nil and tat >= now then base = tat end
local nxt = base + cost * e
local horizon = (burst + 1) * e
local over = nxt - now - horizon
if over > 1e-6 then
  return {0, f(over), math.max(0, math.floor((horizon - (base - now)) / e + 1e-6))}
end
redis.call('SET', KEYS[1], f(nxt), 'PX', math.ceil(nxt - now) + 1000)
return {1, '0', math.max(0, math.floor((horizon - (nxt - now)) / e + 1e-6))}
`,
);

/**
 * KEYS[1] set (hash: "s" = window start, "m:<member>" = members); ARGV member, now, windowMs, limit →
 * {count, exceeded 0|1, retryAfterMs string}.
 */
export const DISTINCT = script(
  'distinct',
  `${F}local key, m = KEYS[1], 'm:' .. ARGV[1]
local now, w, limit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local start = tonumber(redis.call('HGET', key, 's'))
if start ~= nil and now - start >= w then
  redis.call('DEL', key)
  start = nil
end
local size = 0
if start == nil then
  start = now
else
  size = redis.call('HLEN', key) - 1
  if redis.call('HEXISTS', key, m) == 1 then return {size, 0, '0'} end
end
if size >= limit then return {size + 1, 1, f(start + w - now)} end
if size == 0 then
  redis.call('HSET', key, 's', f(start), m, '1')
  redis.call('PEXPIRE', key, math.ceil(w))
else
  redis.call('HSET', key, m, '1')
end
return {size + 1, 0, '0'}
`,
);

/** KEYS[1] window (hash s, p, c); ARGV now, windowMs → sliding count as a string. */
export const EVENTS = script(
  'events',
  `${F}local key = KEYS[1]
local now, w = tonumber(ARGV[1]), tonumber(ARGV[2])
local v = redis.call('HMGET', key, 's', 'p', 'c')
local s, p, c = tonumber(v[1]), tonumber(v[2]) or 0, tonumber(v[3]) or 0
if s == nil then
  s, p, c = now, 0, 0
else
  local elapsed = now - s
  if elapsed >= w then
    local n = math.floor(elapsed / w)
    if n == 1 then p = c else p = 0 end
    c = 0
    s = s + n * w
  end
end
c = c + 1
redis.call('HSET', key, 's', f(s), 'p', f(p), 'c', f(c))
redis.call('PEXPIRE', key, math.ceil(2 * w))
return f(p * (1 - (now - s) / w) + c)
`,
);

/**
 * Ban list: KEYS[1] hash target → JSON entry, KEYS[2] zset target by expiry; ARGV channel, target, json,
 * expiresAt, sender. Written and announced in one step so no gateway misses a ban it could have seen; the
 * announcement names its sender, which already applied the ban and must not apply its own echo late.
 */
export const BAN = script(
  'ban',
  `redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
redis.call('PUBLISH', ARGV[1], '+' .. ARGV[5] .. ' ' .. ARGV[3])
return 1
`,
);

/** KEYS[1] hash, KEYS[2] zset; ARGV channel, target, sender → 1 when a ban was removed. */
export const UNBAN = script(
  'unban',
  `local n = redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
if n == 1 then redis.call('PUBLISH', ARGV[1], '-' .. ARGV[3] .. ' ' .. ARGV[2]) end
return n
`,
);

/** KEYS[1] hash, KEYS[2] zset; ARGV now → expired bans removed (bounded per call). */
export const SWEEP = script(
  'sweep',
  `local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 1000)
for _, t in ipairs(gone) do
  redis.call('HDEL', KEYS[1], t)
  redis.call('ZREM', KEYS[2], t)
end
return #gone
`,
);

export const SCRIPTS: readonly Script[] = [GCRA, DISTINCT, EVENTS, BAN, UNBAN, SWEEP];
