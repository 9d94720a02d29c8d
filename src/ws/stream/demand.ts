/**
 * What the ingest node should produce for the streams, because someone on some node holds it:
 * level-3 reads of a market (`l3:{m}`: an enriched book or alerts; they cost venue REST budget) and
 * liquidation heatmaps (`heatmap:{m}`). Each node announces its own demand; the ingest node reads
 * the union. In one process that is a plain value; across nodes, a Redis sorted set of key → expiry,
 * so a node that dies stops counting once its last announcement expires.
 */
import type Redis from "ioredis";
import type { Clock } from "../../lib/clock";

/** Where nodes announce, and the ingest node reads, which markets need level-3 orders. */
export interface DemandBoard {
  /** This node's demand now (replaces its previous announcement once that expires). */
  announce(keys: readonly string[]): Promise<void>;
  /** Every node's current demand. */
  current(): Promise<string[]>;
}

/** Demand of a single process. */
export function createLocalDemandBoard(): DemandBoard {
  let keys: string[] = [];
  return {
    async announce(ks) {
      keys = [...ks];
    },
    async current() {
      return keys;
    },
  };
}

/** Demand shared through Redis; announcements live `ttlMs` (announce more often than that). */
export function createRedisDemandBoard(opts: { redis: Redis; key: string; ttlMs: number; clock: Clock }): DemandBoard {
  const { redis, key, ttlMs, clock } = opts;
  return {
    async announce(ks) {
      const expiry = clock.now() + ttlMs;
      const pipe = redis.pipeline().zremrangebyscore(key, "-inf", clock.now());
      // GT: an announcement never shortens another node's.
      for (const k of ks) pipe.zadd(key, "GT", expiry, k);
      await pipe.exec();
    },
    current: () => redis.zrangebyscore(key, clock.now(), "+inf"),
  };
}

/** Markets of `prefix` in a demand list (`l3:3` → 3). */
export const demanded = (keys: readonly string[], prefix: "l3" | "heatmap"): number[] =>
  keys.flatMap((k) => (k.startsWith(`${prefix}:`) ? [Number(k.slice(prefix.length + 1))] : []));
