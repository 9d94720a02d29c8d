/**
 * The credit meter shared by every api node: Redis decides, the store remembers.
 *
 * - Debit: one Lua script reads the account's month counter, refuses when `used + cost` would pass
 *   a hard cap, otherwise INCRBYs it. Redis runs scripts one at a time, so concurrent requests on
 *   any number of nodes can never overspend.
 * - Durability: each node sums what it admitted and adds it to the store's ledger every `flushMs`
 *   (and on close). The ledger is the truth Redis is rebuilt from.
 * - Seeding: a missing counter (first use this month, expiry, Redis restart or FLUSHALL) is seeded
 *   from the ledger plus this node's not-yet-flushed debits; the script only seeds if no other
 *   node has done so in the meantime.
 * - Reconciliation: after writing to the ledger, a node raises the Redis counter to the ledger's
 *   total if it is lower ("max" merge; both only ever grow within a month). That folds back debits
 *   other nodes had in flight during a flush, and debits taken by the store fallback while Redis
 *   was down, so counter and ledger converge. Between a Redis flush and the next reconciliation
 *   (≤ flushMs) a cap can be passed by at most what other nodes admitted but had not yet flushed.
 * - Outage: while Redis is not ready (or for a second after a failed call), debits go to the store
 *   meter directly — exact and durable; the account is marked for reconciliation.
 * - Uncapped accounts (paid plans: overage is billed, never refused) need no atomic check per
 *   request: after one scripted debit has told this node the account's total, further debits are
 *   counted locally and added to Redis in one command per account per flush. Only hard-capped
 *   accounts (Free) pay a Redis round trip on every request. The balance a paid account sees in
 *   its headers can lag other nodes' usage by one flush period.
 */
import type Redis from "ioredis";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { IdentityStore } from "../store/ports";
import { createStoreCreditMeter, type CreditDebit, type CreditMeter } from "./credit-meter";

/** KEYS[1] = counter; ARGV = cost, cap (-1: none), seed (-1: unknown), ttl (ms). → {state, used}; state -1 = seed needed. */
const DEBIT_LUA = `
local v = redis.call('GET', KEYS[1])
if not v then
  local seed = tonumber(ARGV[3])
  if seed < 0 then return { -1, 0 } end
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
  v = seed
else
  v = tonumber(v)
end
local cost = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
if cap >= 0 and v + cost > cap then return { 0, v } end
return { 1, redis.call('INCRBY', KEYS[1], cost) }
`;

/** KEYS[1] = counter; ARGV[1] = the ledger's total. Raises an existing counter to it, never lowers it. */
const RAISE_LUA = `
local v = redis.call('GET', KEYS[1])
if v and tonumber(v) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
return 0
`;

interface WithCreditScripts {
  hyperlightCreditDebit(key: string, cost: string, cap: string, seed: string, ttlMs: string): Promise<unknown>;
  hyperlightCreditRaise(key: string, total: string): Promise<unknown>;
}

/** Options of {@link createRedisCreditMeter}. */
export interface RedisCreditMeterOptions {
  redis: Redis;
  store: IdentityStore;
  clock: Clock;
  log: Logger;
  /** Prefix of counter keys. Default "hl:cr:". */
  prefix?: string;
  /** Write-behind period. Default 250 ms. */
  flushMs?: number;
}

/**
 * How long a month's counter lives: until 35 days after the month ends (it outlives its month a
 * little, for late reads), and never less than a day (a counter is only garbage once its month is
 * over; the ledger keeps the record).
 */
function counterTtlMs(month: string, now: number): number {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return Math.max(86_400_000, Date.UTC(y, m, 1) + 35 * 86_400_000 - now);
}

/** Creates the Redis meter (with the store meter as its fallback). */
export function createRedisCreditMeter(opts: RedisCreditMeterOptions): CreditMeter {
  const prefix = opts.prefix ?? "hl:cr:";
  const flushMs = opts.flushMs ?? 250;
  const log = opts.log.child({ component: "credit-meter" });
  opts.redis.defineCommand("hyperlightCreditDebit", { lua: DEBIT_LUA, numberOfKeys: 1 });
  opts.redis.defineCommand("hyperlightCreditRaise", { lua: RAISE_LUA, numberOfKeys: 1 });
  const client = opts.redis as Redis & WithCreditScripts;
  const fallback = createStoreCreditMeter(opts.store);
  /** Admitted by Redis on this node, not yet in the ledger: "user|month" → credits. */
  let pending = new Map<string, number>();
  /** Accounts whose ledger moved without Redis (fallback debits): reconcile them. */
  const resync = new Set<string>();
  /** Uncapped debits counted here, not yet added to Redis: "user|month" → credits. */
  let toRedis = new Map<string, number>();
  /** The account's Redis total as last seen by this node (uncapped accounts only count locally once known). */
  const known = new Map<string, number>();
  /** Accounts debited since the last flush; `known` forgets the others so it stays small and fresh. */
  let active = new Set<string>();
  let openUntil = 0;
  let warned = false;
  let timer: unknown;
  let closed = false;

  const id = (userId: string, month: string) => `${userId}|${month}`;
  const split = (k: string) => {
    const i = k.lastIndexOf("|");
    return { userId: k.slice(0, i), month: k.slice(i + 1) };
  };
  const usable = () => opts.redis.status === "ready" && opts.clock.now() >= openUntil;

  const viaStore = async (q: CreditDebit, err?: unknown) => {
    if (!warned) log.warn("credits.fallback_store", { err });
    warned = true;
    const d = await fallback.debit(q);
    if (d.allowed) resync.add(id(q.userId, q.month));
    return d;
  };

  /** One scripted debit; seeds the counter from the ledger when Redis has none. Resolves [state, total]. */
  const script = async (k: string, cost: number, cap: number | null, unsynced: number): Promise<[number, number]> => {
    const args = [String(cost), String(cap ?? -1)] as const;
    let reply = await client.hyperlightCreditDebit(prefix + k, ...args, "-1", "0");
    if (Array.isArray(reply) && reply[0] === -1) {
      const { userId, month } = split(k);
      // Everything this node admitted is the ledger plus its unwritten debits, minus what is about to be added.
      const seed = (await opts.store.creditsUsed(userId, month)) + (pending.get(k) ?? 0) - unsynced;
      reply = await client.hyperlightCreditDebit(prefix + k, ...args, String(seed), String(counterTtlMs(month, opts.clock.now())));
    }
    if (!Array.isArray(reply) || typeof reply[0] !== "number" || typeof reply[1] !== "number") throw new Error(`unexpected credit script reply: ${JSON.stringify(reply)}`);
    return [reply[0], reply[1]];
  };

  /** Adds the locally counted uncapped debits to Redis; while Redis is away they are left to the ledger. */
  const syncToRedis = async () => {
    const batch = toRedis;
    toRedis = new Map();
    if (!usable()) {
      for (const k of batch.keys()) {
        resync.add(k); // already in `pending`, so the ledger gets them; Redis is raised to the ledger later
        known.delete(k);
      }
      return;
    }
    await Promise.all(
      [...batch].map(async ([k, amount]) => {
        try {
          known.set(k, (await script(k, amount, null, amount + (toRedis.get(k) ?? 0)))[1]);
        } catch (err) {
          toRedis.set(k, (toRedis.get(k) ?? 0) + amount);
          openUntil = opts.clock.now() + 1_000;
          log.warn("credits.sync_failed", { err });
        }
      }),
    );
  };

  const flush = async () => {
    if (toRedis.size > 0) await syncToRedis();
    for (const k of known.keys()) if (!active.has(k)) known.delete(k);
    active = new Set();
    if (pending.size === 0 && resync.size === 0) return;
    const batch = pending;
    pending = new Map();
    const rows = [...batch].map(([k, amount]) => ({ ...split(k), amount }));
    try {
      const totals = await opts.store.addCredits(rows);
      const toRaise = new Map(totals.map((t) => [id(t.userId, t.month), t.used]));
      for (const k of resync) {
        if (!toRaise.has(k)) toRaise.set(k, await opts.store.creditsUsed(split(k).userId, split(k).month));
      }
      if (opts.redis.status === "ready") {
        await Promise.all([...toRaise].map(([k, total]) => client.hyperlightCreditRaise(prefix + k, String(total))));
        resync.clear();
      }
    } catch (err) {
      // Nothing is lost: unwritten amounts go back into the next batch.
      for (const [k, amount] of batch) pending.set(k, (pending.get(k) ?? 0) + amount);
      log.warn("credits.flush_failed", { err, pending: pending.size });
    }
  };

  const used = async (userId: string, month: string) => {
    const k = id(userId, month);
    if (usable()) {
      const v = await opts.redis.get(prefix + k).catch(() => null);
      if (v !== null) return Number(v) + (toRedis.get(k) ?? 0);
    }
    return (await opts.store.creditsUsed(userId, month)) + (pending.get(k) ?? 0);
  };

  const schedule = () => {
    if (closed) return;
    timer = opts.clock.setTimeout(() => void flush().finally(schedule), flushMs);
  };
  schedule();

  return {
    kind: "redis",
    async debit(q) {
      if (q.cost <= 0) return { allowed: true, used: await used(q.userId, q.month) };
      if (!usable()) return viaStore(q);
      const k = id(q.userId, q.month);
      active.add(k);
      const base = known.get(k);
      if (q.cap === null && base !== undefined) {
        // Uncapped and the total is known: count here; Redis gets the sum at the next flush.
        const unsynced = (toRedis.get(k) ?? 0) + q.cost;
        toRedis.set(k, unsynced);
        pending.set(k, (pending.get(k) ?? 0) + q.cost);
        return { allowed: true, used: base + unsynced };
      }
      try {
        const [state, total] = await script(k, q.cost, q.cap, toRedis.get(k) ?? 0);
        if (warned) log.info("credits.redis_recovered");
        warned = false;
        known.set(k, total);
        if (state === 1) pending.set(k, (pending.get(k) ?? 0) + q.cost);
        return { allowed: state === 1, used: total + (toRedis.get(k) ?? 0) };
      } catch (err) {
        openUntil = opts.clock.now() + 1_000;
        return viaStore(q, err);
      }
    },
    used,
    flush,
    async close() {
      closed = true;
      opts.clock.clearTimeout(timer);
      await flush();
    },
  };
}
