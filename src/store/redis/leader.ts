/**
 * Ingest leader lock on one Redis key: `SET key nodeId NX PX ttl`. It is renewed every ttl/3 by a
 * compare-and-extend script and released by compare-and-delete, so a node only ever extends or
 * deletes its own lock.
 *
 * Unlike the PostgreSQL lock, nothing notices a dead holder: the key simply expires. So a holder
 * must also stop believing it leads before the key can expire under it. `isLeader` is true only
 * until the last confirmed renewal + ttl, minus a clock-drift allowance (as Redlock does). That
 * holds even when renewals fail or the event loop stalls.
 */
import type Redis from "ioredis";
import { systemClock, type Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/log.ts";
import type { LeaderLock } from "../ports.ts";

/**
 * 6 s rather than 10 s: a standby takes over at most one TTL after the leader's last renewal, plus
 * one election retry (≤ 2 s). That must stay within the 10 s failover budget.
 */
export const DEFAULT_LEADER_TTL_MS = 6_000;

/** Acquire, or confirm and extend a lock this node already holds (after a transient error). */
const ACQUIRE_LUA = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

/** Extend only if still ours: a node that lost the key must not take it back by renewing. */
const EXTEND_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** The methods `defineCommand` installs; ioredis cannot type them statically. */
interface WithLockScripts {
  hyperlightLockAcquire(key: string, nodeId: string, ttlMs: string): Promise<unknown>;
  hyperlightLockExtend(key: string, nodeId: string, ttlMs: string): Promise<unknown>;
  hyperlightLockRelease(key: string, nodeId: string): Promise<unknown>;
}

/** Options of {@link createRedisLeaderLock}. */
export interface RedisLeaderLockOptions {
  redis: Redis;
  /** The lock key; every ingest node of one deployment uses the same one. */
  key: string;
  /** Lock lifetime without renewal. Default {@link DEFAULT_LEADER_TTL_MS}. */
  ttlMs?: number;
  /** Unique per process (e.g. host + pid + random): the value that proves ownership. */
  nodeId: string;
  log: Logger;
  clock?: Clock;
}

/**
 * Creates a Redis leader lock. The client belongs to the caller: `release()` deletes the key (if it
 * is still ours) and stops renewing, but leaves the connection open.
 */
export function createRedisLeaderLock(opts: RedisLeaderLockOptions): LeaderLock {
  const { redis, key, nodeId } = opts;
  const ttlMs = opts.ttlMs ?? DEFAULT_LEADER_TTL_MS;
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 30) throw new RangeError(`ttlMs must be an integer ≥ 30, got ${ttlMs}`);
  const clock = opts.clock ?? systemClock;
  const log = opts.log.child({ component: "leader-lock", backend: "redis", key, nodeId });
  const ttlArg = String(ttlMs);
  const renewEveryMs = Math.floor(ttlMs / 3);
  // Redis' clock and ours may tick at slightly different rates; stop believing a little early.
  const validityMs = ttlMs - Math.floor(ttlMs / 100) - 2;

  redis.defineCommand("hyperlightLockAcquire", { lua: ACQUIRE_LUA, numberOfKeys: 1 });
  redis.defineCommand("hyperlightLockExtend", { lua: EXTEND_LUA, numberOfKeys: 1 });
  redis.defineCommand("hyperlightLockRelease", { lua: RELEASE_LUA, numberOfKeys: 1 });
  // Safe: the three defineCommand calls above have just installed these methods.
  const client = redis as Redis & WithLockScripts;

  let held = false;
  let validUntil = 0;
  let timer: unknown;
  // Bumped on release, so a renewal still in flight cannot resurrect a released lock.
  let generation = 0;

  const stopRenewing = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };

  const scheduleRenew = (delayMs: number, gen: number) => {
    stopRenewing();
    timer = clock.setTimeout(() => void renew(gen), delayMs);
  };

  const renew = async (gen: number): Promise<void> => {
    timer = undefined;
    if (gen !== generation || !held) return;
    const startedAt = clock.now();
    try {
      const extended = (await client.hyperlightLockExtend(key, nodeId, ttlArg)) === 1;
      if (gen !== generation) return;
      if (extended) {
        validUntil = startedAt + validityMs;
        scheduleRenew(renewEveryMs, gen);
      } else {
        held = false;
        log.warn("leader.lock_lost", { reason: "key expired or taken by another node" });
      }
    } catch (err) {
      if (gen !== generation) return;
      // Keep trying until the validity runs out: one blip must not cost leadership.
      log.warn("leader.renew_failed", { err });
      scheduleRenew(Math.max(10, Math.floor(ttlMs / 10)), gen);
    }
  };

  return {
    kind: "redis",
    get isLeader() {
      return held && clock.now() < validUntil;
    },
    async tryAcquire() {
      const gen = generation;
      const startedAt = clock.now();
      const won = (await client.hyperlightLockAcquire(key, nodeId, ttlArg)) === 1;
      if (gen !== generation) return false; // released while we waited
      held = won;
      if (won) {
        validUntil = startedAt + validityMs;
        scheduleRenew(renewEveryMs, gen);
      } else {
        stopRenewing();
      }
      return won;
    },
    async release() {
      generation++;
      stopRenewing();
      held = false;
      // Sent even when we do not think we hold the key. Compare-and-delete cannot harm another
      // node's lock, and it removes ours if a tryAcquire was still in flight (same connection,
      // so Redis applies the two in order) or if only our local validity had lapsed.
      // Best effort: if Redis is unreachable the key expires by itself within ttlMs.
      await client.hyperlightLockRelease(key, nodeId).catch((err: unknown) => log.warn("leader.release_failed", { err }));
    },
  };
}
