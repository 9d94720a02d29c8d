import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import type Redis from "ioredis";
import postgres from "postgres";
import { runLeaderElection } from "../../src/actors/leader-election.ts";
import { ManualClock } from "../../src/lib/clock.ts";
import { createLogger, memorySink, silentLogger } from "../../src/lib/log.ts";
import { leaderLockContract } from "../../src/store/leader.contract.ts";
import { createLocalLeaderLock } from "../../src/store/memory/leader.ts";
import type { LeaderLock } from "../../src/store/ports.ts";
import { createPgLeaderLock } from "../../src/store/postgres/leader.ts";
import { createRedisClient } from "../../src/store/redis/client.ts";
import { createRedisLeaderLock } from "../../src/store/redis/leader.ts";
import { hasPostgres, hasRedis, PG_URL, REDIS_URL, uniqueName } from "../support/services.ts";
import { LineReader, waitFor } from "./wait.ts";

/** A lock id no other suite or run is using (advisory locks are server-wide). */
const randomLockId = () => BigInt(Math.floor(Math.random() * 2 ** 40)) + 7_000_000_000n;

leaderLockContract("local leader lock", { exclusive: false }, async () => ({
  makeLock: () => createLocalLeaderLock(),
  crash: async () => {},
  freedWithinMs: 0,
  close: async () => {},
}));

describe.skipIf(!hasPostgres)("postgres leader lock", () => {
  leaderLockContract("contract", { exclusive: true }, async () => {
    const lockId = randomLockId();
    const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
    const appNames = new Map<LeaderLock, string>();
    return {
      makeLock: () => {
        const applicationName = uniqueName("hl_leader");
        const lock = createPgLeaderLock({ url: PG_URL, lockId, log: silentLogger(), keepAliveMs: 100, applicationName });
        appNames.set(lock, applicationName);
        return lock;
      },
      crash: async (lock) => {
        const killed = await admin`
          select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = ${appNames.get(lock) ?? ""}`;
        expect(killed.length).toBe(1);
      },
      freedWithinMs: 3_000,
      close: () => admin.end({ timeout: 1 }),
    };
  });
});

describe.skipIf(!hasRedis)("redis leader lock", () => {
  leaderLockContract("contract", { exclusive: true }, async () => {
    const key = uniqueName("hl_test_leader");
    const clients = new Map<LeaderLock, Redis>();
    return {
      makeLock: () => {
        // One connection per node, so a crash can cut one node off alone.
        const redis = createRedisClient(REDIS_URL, silentLogger());
        const lock = createRedisLeaderLock({ redis, key, ttlMs: 600, nodeId: uniqueName("node"), log: silentLogger() });
        clients.set(lock, redis);
        return lock;
      },
      crash: async (lock) => clients.get(lock)?.disconnect(),
      freedWithinMs: 3_000,
      close: async () => {
        for (const redis of clients.values()) redis.disconnect();
      },
    };
  });

  test("the key holds the node id with the TTL, and release deletes only our own key", async () => {
    const redis = createRedisClient(REDIS_URL, silentLogger());
    const key = uniqueName("hl_test_leader");
    try {
      const lock = createRedisLeaderLock({ redis, key, ttlMs: 5_000, nodeId: "node-a", log: silentLogger() });
      expect(await lock.tryAcquire()).toBe(true);
      expect(await redis.get(key)).toBe("node-a");
      expect(await redis.pttl(key)).toBeGreaterThan(4_000);
      await lock.release();
      expect(await redis.exists(key)).toBe(0);
      // Someone else's key must survive our release.
      await redis.set(key, "node-b", "PX", 5_000);
      await lock.release();
      expect(await redis.get(key)).toBe("node-b");
    } finally {
      await redis.del(key);
      await redis.quit();
    }
  });
});

/** A lock whose answers the test scripts; `lose()` takes the lock away as a backend would. */
function scriptedLock(answers: Array<boolean | Error>) {
  let held = false;
  const calls = { attempts: 0, releases: 0 };
  const lock: LeaderLock = {
    kind: "local",
    get isLeader() {
      return held;
    },
    async tryAcquire() {
      calls.attempts++;
      const answer = answers.shift() ?? false;
      if (answer instanceof Error) throw answer;
      held = answer;
      return answer;
    },
    async release() {
      calls.releases++;
      held = false;
    },
  };
  return { lock, calls, lose: () => void (held = false) };
}

describe("runLeaderElection", () => {
  const retryMs = 1_000;
  const events: string[] = [];
  let election: ReturnType<typeof runLeaderElection> | undefined;
  const start = (lock: LeaderLock, clock: ManualClock, log = silentLogger()) =>
    (election = runLeaderElection({
      lock,
      clock,
      retryMs,
      log,
      onElected: () => void events.push("elected"),
      onLost: () => void events.push("lost"),
    }));
  const settle = (what: string, condition: () => boolean) => waitFor(what, condition, { timeoutMs: 1_000, intervalMs: 1 });

  afterEach(async () => {
    await election?.stop();
    election = undefined;
    events.length = 0;
  });

  test("a standby retries every retryMs and calls onElected once when it wins", async () => {
    const clock = new ManualClock(0);
    const { lock, calls } = scriptedLock([false, false, true]);
    const e = start(lock, clock);
    await settle("first attempt", () => calls.attempts === 1 && e.status === "standby");
    clock.advance(retryMs - 1);
    expect(calls.attempts).toBe(1);
    clock.advance(1);
    await settle("second attempt", () => calls.attempts === 2 && e.status === "standby");
    clock.advance(retryMs);
    await settle("election", () => e.status === "leader");
    clock.advance(5 * retryMs); // leading: checks the lock, never re-elects
    expect(events).toEqual(["elected"]);
    expect(calls.attempts).toBe(3);
  });

  test("losing the lock calls onLost, returns to standby, and a later win elects again", async () => {
    const clock = new ManualClock(0);
    const { lock, calls, lose } = scriptedLock([true, false, true]);
    const e = start(lock, clock);
    await settle("election", () => e.status === "leader");
    lose();
    clock.advance(retryMs);
    await settle("loss", () => e.status === "standby" && events.length === 2);
    expect(events).toEqual(["elected", "lost"]);
    clock.advance(retryMs);
    await settle("failed attempt", () => calls.attempts === 2);
    clock.advance(retryMs);
    await settle("re-election", () => e.status === "leader");
    expect(events).toEqual(["elected", "lost", "elected"]);
  });

  test("a backend error while trying is logged and retried, not fatal", async () => {
    const clock = new ManualClock(0);
    const sink = memorySink();
    const log = createLogger({ level: "warn", sink });
    const { lock } = scriptedLock([new Error("connection refused"), true]);
    const e = start(lock, clock, log);
    await settle("failed attempt", () => e.status === "standby");
    clock.advance(retryMs);
    await settle("election", () => e.status === "leader");
    await log.flush();
    expect(sink.lines.some((l) => l.includes("leader.acquire_failed") && l.includes("connection refused"))).toBe(true);
  });

  test("stop releases the lock and stops retrying, without calling onLost", async () => {
    const clock = new ManualClock(0);
    const { lock, calls } = scriptedLock([true]);
    const e = start(lock, clock);
    await settle("election", () => e.status === "leader");
    await e.stop();
    expect(e.status).toBe("stopped");
    expect(calls.releases).toBe(1);
    clock.advance(10 * retryMs);
    expect(calls.attempts).toBe(1);
    expect(events).toEqual(["elected"]);
  });

  test("stop during an attempt in flight releases after that attempt lands", async () => {
    const clock = new ManualClock(0);
    let land: (won: boolean) => void = () => {};
    let held = false;
    const order: string[] = [];
    const lock: LeaderLock = {
      kind: "local",
      get isLeader() {
        return held;
      },
      tryAcquire: () =>
        new Promise<boolean>((resolve) => {
          land = (won) => {
            held = won;
            order.push("acquired");
            resolve(won);
          };
        }),
      release: async () => {
        order.push("released");
        held = false;
      },
    };
    const e = start(lock, clock);
    const stopped = e.stop();
    land(true);
    await stopped;
    expect(order).toEqual(["acquired", "released"]);
    expect(held).toBe(false);
    expect(events).toEqual([]);
  });
});

describe("two-process failover", () => {
  const fixture = new URL("../fixtures/leader-node.ts", import.meta.url).pathname;
  const procs: Subprocess<"pipe", "pipe", "inherit">[] = [];

  const spawnNode = (backend: "pg" | "redis", lockName: string) => {
    const proc = Bun.spawn([process.execPath, fixture, backend, lockName], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
      env: { ...process.env, HL_TEST_PG_URL: PG_URL, HL_TEST_REDIS_URL: REDIS_URL },
    });
    procs.push(proc);
    return { proc, out: new LineReader(proc.stdout) };
  };

  afterAll(async () => {
    for (const proc of procs) proc.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
  });

  /** Leader A and standby B; A is SIGKILLed and B must print LEADER within 10 s. */
  const failover = async (backend: "pg" | "redis", lockName: string) => {
    const a = spawnNode(backend, lockName);
    await a.out.waitForLine(/^LEADER \d+$/, 10_000);
    const b = spawnNode(backend, lockName);
    await b.out.waitForLine(/^STANDBY \d+$/, 10_000);
    expect(b.out.lines.some((l) => l.startsWith("LEADER"))).toBe(false);

    const killedAt = performance.now();
    a.proc.kill("SIGKILL");
    await a.proc.exited;
    const line = await b.out.waitForLine(/^LEADER \d+$/, 10_000);
    const tookMs = performance.now() - killedAt;
    expect(line).toBe(`LEADER ${b.proc.pid}`);
    expect(tookMs).toBeLessThan(10_000);
    return tookMs;
  };

  test.skipIf(!hasPostgres)("PostgreSQL advisory lock: the standby leads within 10 s of kill -9", async () => {
    await failover("pg", String(randomLockId()));
  }, 30_000);

  test.skipIf(!hasRedis)("Redis lock (production TTL): the standby leads within 10 s of kill -9", async () => {
    await failover("redis", uniqueName("hl_test_failover"));
  }, 30_000);
});
