/**
 * An in-process Hyperlight HTTP app with the identity runtime on real adapters — a SQLite file in a
 * temp directory, memory or Redis limiter/meter/bus — listening on a random port, so tests speak
 * real HTTP. argon2 runs at a low cost here (the parameters are not what these tests are about).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import type Redis from "ioredis";
import { createApp } from "../../src/http/app";
import { Metrics } from "../../src/http/metrics";
import { HealthService } from "../../src/http/routes/health/service";
import { createIdentity, type Identity } from "../../src/identity";
import type { Clock } from "../../src/lib/clock";
import { createLogger, memorySink } from "../../src/lib/log";
import { createLiveMarkets } from "../../src/market/live";
import { createFailoverRateLimiter } from "../../src/store/failover-rate-limiter";
import { createMemoryCache } from "../../src/store/memory/cache";
import { createMemoryRateLimiter } from "../../src/store/memory/rate-limiter";
import type { Cache, RateLimiter, Store } from "../../src/store/ports";
import { createRedisClient } from "../../src/store/redis/client";
import { createRedisCache } from "../../src/store/redis/cache";
import { createRedisRateLimiter } from "../../src/store/redis/rate-limiter";
import { openSqliteStore } from "../../src/store/sqlite";
import { tempDir } from "./process";
import { signalsApi } from "../../src/signals/api";
import { createWebhookPolicy } from "../../src/signals/delivery";
import { REDIS_URL, uniqueName } from "./services";

export const ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123";

/** A cache that remembers every value written to it (to prove no secret is ever cached). */
export function recordingCache(inner: Cache): Cache & { written: string[] } {
  const written: string[] = [];
  return { ...inner, kind: inner.kind, written, set: (k, v, ttl) => (written.push(`${k}=${v}`), inner.set(k, v, ttl)) };
}

export interface IdentityApp {
  url: string;
  app: ReturnType<typeof createApp>;
  identity: Identity;
  store: Store;
  cache: Cache & { written: string[] };
  /** Log lines written so far; call flushLogs() first (the logger batches). */
  logLines: string[];
  flushLogs(): Promise<void>;
  dbPath: string;
  redis?: Redis;
  /** JSON request helper: returns status, headers and the parsed envelope. */
  call(method: string, path: string, opts?: { body?: unknown; headers?: Record<string, string> }): Promise<Reply>;
  /** Registers a user (unique e-mail) and returns its JWT and first key. */
  register(email?: string): Promise<{ userId: string; token: string; apiKey: string; keyId: string; email: string }>;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  headers: Headers;
  body: { success: boolean; data: Record<string, unknown> & { code?: string; message?: string; details?: Record<string, unknown> }; meta: Record<string, unknown> };
}

let emails = 0;

/** Starts the app. `routes` adds probe routes before it listens (they get the `auth` macro). */
export async function startIdentityApp(opts: {
  clock: Clock;
  redis?: boolean;
  marketData?: boolean;
  routes?: (app: ReturnType<typeof createApp>) => void;
  /** Meter credits in the store (as with PostgreSQL and no Redis) instead of in memory. */
  sharedStore?: boolean;
  /** null: ADMIN_TOKEN unset (admin routes disabled). Default ADMIN_TOKEN. */
  adminToken?: string | null;
  /** false: serve every route through Elysia (no Bun-native fast path). Default true. */
  fastPaths?: boolean;
}): Promise<IdentityApp> {
  const dir = tempDir("identity");
  const dbPath = join(dir, "hyperlight.db");
  const store = await openSqliteStore({ path: dbPath });
  await store.migrate();
  const sink = memorySink();
  const log = createLogger({ level: "debug", sink });
  let redis: { client: Redis; subscriber: Redis } | undefined;
  let limiter: RateLimiter = createMemoryRateLimiter(opts.clock);
  let cacheInner: Cache = createMemoryCache(opts.clock);
  if (opts.redis) {
    redis = { client: createRedisClient(REDIS_URL, log), subscriber: createRedisClient(REDIS_URL, log) };
    const client = redis.client;
    limiter = createFailoverRateLimiter({
      primary: createRedisRateLimiter(client, opts.clock, { prefix: `${uniqueName("rl")}:` }),
      fallback: createMemoryRateLimiter(opts.clock), isUp: () => client.status === "ready", clock: opts.clock, log,
    });
    cacheInner = createRedisCache(client, { prefix: `${uniqueName("cache")}:` });
  }
  const cache = recordingCache(cacheInner);
  const identity = createIdentity({
    store: store.identity, sharedStore: opts.sharedStore ?? false, cache, limiter, clock: opts.clock, log, jwtSecret: "x".repeat(48), redis,
    passwordCost: { memoryCost: 1024, timeCost: 1 }, registrationsPerIpPerHour: 10_000,
    adminToken: opts.adminToken === null ? undefined : (opts.adminToken ?? ADMIN_TOKEN),
  });
  await identity.bus.ready;
  const health = new HealthService({
    clock: opts.clock, version: "test", timeoutMs: 500, probes: () => [],
    upstream: () => ({ venue: "lighter", network: "unknown", source: "simulator", rest_url: "-", ws_url: "-", connection: "standby" }),
  });
  const app = createApp({
    clock: opts.clock, log, metrics: new Metrics(), version: "test", health, identity, fastPaths: opts.fastPaths,
    marketData: opts.marketData ? { store: store.marketData, live: createLiveMarkets(cacheInner), venue: "lighter", accountsStore: store.accounts } : undefined,
    // With market data, the signals routes too (no delivery worker here: rows stay pending).
    signals: opts.marketData
      ? signalsApi({ store, live: createLiveMarkets(cacheInner), venue: "lighter", clock: opts.clock, policy: createWebhookPolicy({ allowHttp: false, allowHosts: [] }) })
      : undefined,
  });
  opts.routes?.(app);
  app.listen({ port: 0, hostname: "127.0.0.1" });
  const url = `http://127.0.0.1:${app.server!.port}`;

  const call: IdentityApp["call"] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(url + path, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
    const text = await res.text();
    const json = (res.headers.get("content-type") ?? "").includes("json") && text ? JSON.parse(text) : { data: {} };
    return { status: res.status, headers: res.headers, body: json };
  };

  return {
    url, app, identity, store, cache, logLines: sink.lines, flushLogs: () => log.flush(), dbPath, redis: redis?.client, call,
    async register(email = `user${++emails}.${process.pid}.${Date.now()}@example.com`) {
      const r = await call("POST", "/api/v1/auth/register", { body: { email, password: "correct horse battery", tos_accepted: true } });
      if (r.status !== 201) throw new Error(`register failed: ${r.status} ${JSON.stringify(r.body)}`);
      const d = r.body.data as { user_id: string; token: string; api_key: string; key: { id: string } };
      return { userId: d.user_id, token: d.token, apiKey: d.api_key, keyId: d.key.id, email };
    },
    async close() {
      await app.stop(true);
      await identity.close();
      await limiter.close();
      await store.close();
      redis?.client.disconnect();
      redis?.subscriber.disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
