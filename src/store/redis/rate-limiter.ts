/**
 * GCRA rate limiter shared by every api node. One Lua script reads, decides and writes, so
 * concurrent callers on any number of nodes can never admit more than the limit (Redis runs a
 * script atomically). The script mirrors `gcraStep` in ../memory/rate-limiter.ts line for line.
 * Both pass the same contract suite, and the rationale for GCRA and its integer TAT is written there.
 *
 * Time: `now` is passed in from the injected Clock instead of `redis.call('TIME')`. That keeps the
 * adapter deterministic under a ManualClock, so the contract suite can drive it exactly like the
 * memory one. The cost is that the nodes' clocks must agree (NTP keeps them within a few ms,
 * against windows of seconds to days). A node whose clock runs ahead is at most that many ms more
 * lenient. Remaining is clamped so it can never go negative.
 */
import type Redis from "ioredis";
import type { Clock } from "../../lib/clock.ts";
import type { RateLimiter } from "../ports.ts";
import { checkLimitArgs } from "../memory/rate-limiter.ts";

/**
 * KEYS[1] = bucket; ARGV = now (ms), limit, windowMs, cost. The stored value is "ms:frac:limit",
 * the TAT ms + frac/limit. Returns {allowed 0|1, remaining, resetAt, retryAfterMs}. Every number
 * stays an integer below 2^53, so Lua's doubles compute it exactly. The key's PX is garbage
 * collection only (an expired TAT is a full bucket anyway), so it gets a window of slack. A key
 * must never vanish early because Redis' clock and the callers' clocks disagree.
 */
const GCRA_LUA = `
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local function divmod(a, b)
  local q = math.floor(a / b)
  local r = a - q * b
  if r < 0 then q = q - 1; r = r + b elseif r >= b then q = q + 1; r = r - b end
  return q, r
end
local ms, frac = now, 0
local stored = redis.call('GET', KEYS[1])
if stored then
  local m, f, l = string.match(stored, '^(%-?%d+):(%d+):(%d+)$')
  m = tonumber(m); f = tonumber(f); l = tonumber(l)
  if m and m >= now then
    ms, frac = m, f
    if l ~= limit and frac > 0 then ms = ms + 1; frac = 0 end
  end
end
local carry, nextFrac = divmod(frac + cost * window, limit)
local nextMs = ms + carry
local late = nextMs - window - now
local allowed = late < 0 or (late == 0 and nextFrac == 0)
local retry = 0
if allowed then
  ms, frac = nextMs, nextFrac
  local ttl = ms - now + 1 + window
  redis.call('SET', KEYS[1], string.format('%.0f:%.0f:%.0f', ms, frac, limit), 'PX', string.format('%.0f', ttl))
else
  retry = late
  if nextFrac > 0 then retry = retry + 1 end
end
local tokens = divmod((window - (ms - now)) * limit - frac, window)
if tokens < 0 then tokens = 0 elseif tokens > limit then tokens = limit end
local resetAt = ms
if frac > 0 then resetAt = resetAt + 1 end
return { allowed and 1 or 0, tokens, resetAt, retry }
`;

/** The script's name on the client, as defineCommand installs it. */
const COMMAND = "hyperlightGcra";

/** What `defineCommand` adds to the client at runtime; ioredis cannot type it statically. */
interface WithGcra {
  [COMMAND](key: string, now: string, limit: string, windowMs: string, cost: string): Promise<unknown>;
}

/** Options of {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  /** Prepended to every bucket key. Default "hl:rl:". */
  prefix?: string;
}

function isReply(x: unknown): x is [number, number, number, number] {
  return Array.isArray(x) && x.length === 4 && x.every((n) => typeof n === "number");
}

/**
 * Creates the Redis GCRA limiter. The script is registered with `defineCommand`: ioredis sends
 * EVALSHA and falls back to EVAL on NOSCRIPT (after a Redis restart or SCRIPT FLUSH). The client
 * belongs to the caller, so `close()` leaves it open.
 */
export function createRedisRateLimiter(redis: Redis, clock: Clock, opts: RedisRateLimiterOptions = {}): RateLimiter {
  const prefix = opts.prefix ?? "hl:rl:";
  redis.defineCommand(COMMAND, { lua: GCRA_LUA, numberOfKeys: 1 });
  // Safe: defineCommand has just installed the method this type describes.
  const client = redis as Redis & WithGcra;

  return {
    kind: "redis",
    async consume(key, limit, windowMs, cost = 1) {
      checkLimitArgs(limit, windowMs, cost);
      const now = Math.floor(clock.now());
      const reply = await client[COMMAND](prefix + key, String(now), String(limit), String(windowMs), String(cost));
      if (!isReply(reply)) throw new Error(`unexpected rate-limit script reply: ${JSON.stringify(reply)}`);
      const [allowed, remaining, resetAt, retryAfterMs] = reply;
      return { allowed: allowed === 1, limit, remaining, resetAt, retryAfterMs };
    },
    async ping() {
      await redis.ping();
    },
    async close() {},
  };
}
