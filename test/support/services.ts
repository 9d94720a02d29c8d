/**
 * Real PostgreSQL and Redis for tests. On a developer machine a suite whose service is down is
 * skipped (and says so); under CI=true an unreachable service is a failure, never a skip.
 */
import { test } from "bun:test";
import postgres from "postgres";
import Redis from "ioredis";

export const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const inCI = process.env.CI === "true" || process.env.CI === "1";

async function probePg(): Promise<string | null> {
  const sql = postgres(PG_URL, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return null;
  } catch (err) {
    return String(err);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

async function probeRedis(): Promise<string | null> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on("error", () => {});
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (err) {
    return String(err);
  } finally {
    redis.disconnect();
  }
}

const pgProblem = await probePg();
const redisProblem = await probeRedis();

function gate(name: string, problem: string | null): boolean {
  if (!problem) return true;
  if (inCI) {
    test(`${name} is reachable (required under CI)`, () => {
      throw new Error(`${name} unreachable under CI=true: ${problem}`);
    });
  } else {
    console.warn(`[tests] ${name} unreachable, its suites are skipped: ${problem}`);
  }
  return false;
}

/** True when PostgreSQL answers. Under CI an unreachable server registers a failing test. */
export const hasPostgres = gate("PostgreSQL", pgProblem);
/** True when Redis answers. Under CI an unreachable server registers a failing test. */
export const hasRedis = gate("Redis", redisProblem);

/** A unique, valid identifier for isolating one suite's schema, key prefix or lock id. */
export const uniqueName = (prefix: string): string =>
  `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
