/**
 * Connection slots shared by every api node: one sorted set per account, member = connection id,
 * score = lease expiry. Taking a slot is one Lua script (drop expired leases, count, add), so two
 * nodes admitting at once can never exceed the plan's limit. Holders renew their leases; a node
 * that dies stops renewing and its slots expire after `leaseMs`.
 */
import type Redis from "ioredis";
import type { Clock } from "../lib/clock";
import type { ConnectionQuota } from "./connection-quota";

/** KEYS[1] = the account's set; ARGV = now, expiry, limit (-1 = none), connection id, key ttl. */
const ACQUIRE_LUA = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local limit = tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) == false and limit >= 0 and redis.call('ZCARD', KEYS[1]) >= limit then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/** Creates the Redis slot store; keys are `${prefix}${userId}`, leases last `leaseMs` (60 s) unless renewed. */
export function createRedisConnectionQuota(opts: { redis: Redis; prefix: string; clock: Clock; leaseMs?: number }): ConnectionQuota {
  const { redis, prefix, clock } = opts;
  const leaseMs = opts.leaseMs ?? 60_000;
  const key = (userId: string) => `${prefix}${userId}`;
  return {
    renewEveryMs: Math.floor(leaseMs / 3),
    async acquire(userId, connectionId, limit) {
      const now = clock.now();
      const ok = await redis.eval(ACQUIRE_LUA, 1, key(userId), now, now + leaseMs, limit ?? -1, connectionId, leaseMs * 2);
      return ok === 1;
    },
    async release(userId, connectionId) {
      await redis.zrem(key(userId), connectionId);
    },
    async renew(slots) {
      if (slots.length === 0) return;
      const expiry = clock.now() + leaseMs;
      const pipe = redis.pipeline();
      for (const s of slots) pipe.zadd(key(s.userId), "XX", expiry, s.connectionId).pexpire(key(s.userId), leaseMs * 2);
      await pipe.exec();
    },
  };
}
