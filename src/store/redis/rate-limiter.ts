/**
 * Sliding-window rate limiter shared by every api node. One Lua script reads the key's slots,
 * decides and writes, so concurrent callers on any number of nodes can never admit more than the
 * limit in any window (Redis runs a script atomically). The script mirrors `slidingWindowStep` in
 * ../memory/rate-limiter.ts, where the semantics and the reason for them are written down; both
 * pass the same contract suite.
 *
 * State per key: one hash, field = slot index, value = admitted cost in that slot, plus field "s"
 * (the slot length it was counted in). At most 61 slot fields, pruned on every call.
 *
 * Time: `now` is passed in from the injected Clock instead of `redis.call('TIME')`. That keeps the
 * adapter deterministic under a ManualClock, so the contract suite drives it exactly like the
 * memory one. The cost is that the nodes' clocks must agree (NTP keeps them within a few ms,
 * against 1 s slots); a node whose clock runs ahead sees slots leave the window that much earlier.
 */
import type Redis from "ioredis";
import type { Clock } from "../../lib/clock.ts";
import type { RateLimiter } from "../ports.ts";
import { checkLimitArgs, slotSizeMs } from "../memory/rate-limiter.ts";

/**
 * KEYS[1] = the key's hash; ARGV = now (ms), limit, windowMs, cost, slotMs. Returns {allowed 0|1,
 * remaining, resetAt, retryAfterMs}. Every number is an integer below 2^53, exact in Lua's doubles
 * (floorDiv corrects the rounding of a division the way the TypeScript does). The PX is garbage
 * collection only: it outlives the last counted slot by a window (at least a minute), so a key
 * never vanishes while it still counts, even when Redis' clock and the callers' disagree (or, in
 * tests, when the callers' clock is a manual one that does not move with Redis').
 */
const SLIDING_WINDOW_LUA = `
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local s = tonumber(ARGV[5])
local function floorDiv(a, b)
  local q = math.floor(a / b)
  local r = a - q * b
  if r < 0 then q = q - 1 elseif r >= b then q = q + 1 end
  return q
end
local current = floorDiv(now, s)
local oldest = floorDiv(now - window, s)
local raw = redis.call('HGETALL', KEYS[1])
local slots, counts, stale, sum = {}, {}, {}, 0
local sameSize = true
for i = 1, #raw, 2 do
  if raw[i] == 's' and tonumber(raw[i + 1]) ~= s then sameSize = false end
end
if not sameSize then
  redis.call('DEL', KEYS[1])
  raw = {}
end
for i = 1, #raw, 2 do
  local field = raw[i]
  if field ~= 's' then
    local slot = tonumber(field)
    if slot >= oldest then
      slots[#slots + 1] = slot
      counts[slot] = tonumber(raw[i + 1])
      sum = sum + counts[slot]
    else
      stale[#stale + 1] = field
    end
  end
end
if #stale > 0 then redis.call('HDEL', KEYS[1], unpack(stale)) end
local allowed = sum + cost <= limit
local retry = 0
if allowed then
  redis.call('HINCRBY', KEYS[1], string.format('%.0f', current), cost)
  if #raw == 0 then redis.call('HSET', KEYS[1], 's', s) end
  if counts[current] == nil then slots[#slots + 1] = current end
  sum = sum + cost
else
  -- Only a denial needs the slots in order (oldest first) to find when enough has left.
  table.sort(slots)
  local freed = 0
  for _, slot in ipairs(slots) do
    freed = freed + counts[slot]
    if sum - freed + cost <= limit then
      retry = (slot + 1) * s + window - now
      break
    end
  end
end
local newest = nil
for _, slot in ipairs(slots) do
  if newest == nil or slot > newest then newest = slot end
end
local resetAt = now
if newest ~= nil then resetAt = (newest + 1) * s + window end
if allowed then redis.call('PEXPIRE', KEYS[1], string.format('%.0f', resetAt - now + math.max(window, 60000))) end
local remaining = limit - sum
if remaining < 0 then remaining = 0 end
return { allowed and 1 or 0, remaining, resetAt, retry }
`;

/** The script's name on the client, as defineCommand installs it. */
const COMMAND = "hyperlightSlidingWindow";

/** What `defineCommand` adds to the client at runtime; ioredis cannot type it statically. */
interface WithSlidingWindow {
  [COMMAND](key: string, now: string, limit: string, windowMs: string, cost: string, slotMs: string): Promise<unknown>;
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
 * Creates the Redis limiter. The script is registered with `defineCommand`: ioredis sends EVALSHA
 * and falls back to EVAL on NOSCRIPT (after a Redis restart or SCRIPT FLUSH). The client belongs
 * to the caller, so `close()` leaves it open.
 */
export function createRedisRateLimiter(redis: Redis, clock: Clock, opts: RedisRateLimiterOptions = {}): RateLimiter {
  const prefix = opts.prefix ?? "hl:rl:";
  redis.defineCommand(COMMAND, { lua: SLIDING_WINDOW_LUA, numberOfKeys: 1 });
  // Safe: defineCommand has just installed the method this type describes.
  const client = redis as Redis & WithSlidingWindow;

  return {
    kind: "redis",
    async consume(key, limit, windowMs, cost = 1) {
      checkLimitArgs(limit, windowMs, cost);
      const now = Math.floor(clock.now());
      const reply = await client[COMMAND](prefix + key, String(now), String(limit), String(windowMs), String(cost), String(slotSizeMs(windowMs)));
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
