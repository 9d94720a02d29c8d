/**
 * What authentication + rate limiting + credits cost per request: GET /api/v1/orderbook/0 through
 * the same app built with identity (API key, per-key limiter, credit debit, usage counting) and
 * without it (no guard), over the same live book, measured alternately in one run — once with the
 * memory adapters (in-process limiter, credits as an atomic SQLite UPSERT per request) and once with
 * the Redis adapters (Lua limiter, Lua credit debit with write-behind ledger).
 *
 * The keys are Scale keys (30,000 requests/min each, credits with overage, so the limiter and the
 * meter both run on every request and never refuse); 40 of them are sent in turn so no key's limit
 * binds under load. Enterprise keys would skip the limiter and are not what this measures.
 *
 *   bun bench/auth.ts [--rounds 3] [--seconds 3] [--connections 64]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Redis from "ioredis";
import { loadConfig } from "../src/config";
import { createApp } from "../src/http/app";
import { Metrics } from "../src/http/metrics";
import { HealthService } from "../src/http/routes/health/service";
import { createIdentity, type Identity } from "../src/identity";
import { newUserId } from "../src/identity/api-key";
import { systemClock } from "../src/lib/clock";
import { createLogger } from "../src/lib/log";
import { VERSION } from "../src/lib/version";
import { createLiveMarkets } from "../src/market/live";
import { createFailoverRateLimiter } from "../src/store/failover-rate-limiter";
import { createMemoryCache } from "../src/store/memory/cache";
import { createMemoryRateLimiter } from "../src/store/memory/rate-limiter";
import type { RateLimiter } from "../src/store/ports";
import { createRedisClient } from "../src/store/redis/client";
import { createRedisRateLimiter } from "../src/store/redis/rate-limiter";
import { startService } from "../src/service";
import { startSimulator } from "../src/venues/lighter/sim";
import { compare } from "./lib/compare";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "3" }, seconds: { type: "string", default: "3" }, connections: { type: "string", default: "64" } },
});
const opts = { rounds: Number(values.rounds), seconds: Number(values.seconds), connections: Number(values.connections) };
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const PATH = "/api/v1/orderbook/0";

const discard = () => createLogger({ level: "info", sink: { write() {} } });
const sim = await startSimulator({ seed: 42 });
const dataDir = mkdtempSync(join(tmpdir(), "hl-bench-auth-"));
const service = await startService(loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, ROLE: "all", LIGHTER_URL: sim.url, LIGHTER_WS_URL: sim.wsUrl }), { log: discard() });
const health = new HealthService({
  clock: systemClock, version: VERSION, timeoutMs: 1000, probes: () => [],
  upstream: () => ({ venue: "lighter", network: "ok", source: "simulator", rest_url: sim.url, ws_url: sim.wsUrl, connection: "n/a" }),
});
const marketData = { store: service.deps.store.marketData, live: createLiveMarkets(service.deps.cache), venue: "lighter" };
const appWith = (identity?: Identity) => {
  const app = createApp({ clock: systemClock, log: discard(), metrics: new Metrics(), version: VERSION, health, marketData, identity });
  app.listen({ port: 0, hostname: "127.0.0.1" });
  return { app, url: `http://127.0.0.1:${app.server!.port}${PATH}` };
};

/** A Scale account with 40 Scale keys. */
async function provision(identity: Identity): Promise<string[]> {
  const id = newUserId();
  await identity.store.createUser({ id, email: `${id}@bench.example`, passwordHash: "-", plan: "scale", createdAt: Date.now() });
  const keys: string[] = [];
  for (let i = 0; i < 40; i++) keys.push((await identity.keys.create({ id, plan: "scale" }, { name: `bench-${i}`, tier: "scale" })).key);
  return keys;
}

const identityOn = (limiter: RateLimiter, redis?: { client: Redis; subscriber: Redis }) =>
  createIdentity({ store: service.deps.store.identity, sharedStore: false, cache: createMemoryCache(systemClock), limiter, clock: systemClock, log: discard(), jwtSecret: "b".repeat(48), redis });

async function redisReachable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const baseline = appWith();
const deadline = performance.now() + 30_000;
while ((await fetch(baseline.url)).status !== 200) {
  if (performance.now() > deadline) throw new Error("no live book for market 0 within 30 s");
  await Bun.sleep(50);
}

const memIdentity = identityOn(createMemoryRateLimiter(systemClock));
const mem = appWith(memIdentity);
const memKeys = await provision(memIdentity);

let red: { identity: Identity; app: ReturnType<typeof appWith>; keys: string[]; clients: Redis[]; prefix: string } | undefined;
if (await redisReachable()) {
  const log = discard();
  const clients = { client: createRedisClient(REDIS_URL, log), subscriber: createRedisClient(REDIS_URL, log) };
  const prefix = `hl:bench:${process.pid}:`;
  const limiter = createFailoverRateLimiter({
    primary: createRedisRateLimiter(clients.client, systemClock, { prefix }), fallback: createMemoryRateLimiter(systemClock),
    isUp: () => clients.client.status === "ready", clock: systemClock, log,
  });
  const identity = identityOn(limiter, clients);
  await identity.bus.ready;
  const app = appWith(identity);
  red = { identity, app, keys: await provision(identity), clients: [clients.client, clients.subscriber], prefix };
}

const perRequestUs = (base: number, cand: number) => (1e6 / cand - 1e6 / base).toFixed(1);
try {
  console.log(`auth bench — bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs; GET ${PATH} (live book), ${memKeys.length} Scale keys in turn`);
  const headersOf = (keys: string[]) => ({ "x-api-key": keys });
  const m = await compare(`${PATH}: memory adapters`, { name: "no auth", url: baseline.url }, { name: "auth+limit+credits (memory)", url: mem.url, headers: headersOf(memKeys) }, opts);
  const lines = [`memory: ${m.ratio.toFixed(3)}x of no-auth throughput, ≈ ${perRequestUs(m.baseline.rps, m.candidate.rps)} µs per request, p50 +${(m.candidate.p50_ms - m.baseline.p50_ms).toFixed(3)} ms`];
  if (red) {
    const r = await compare(`${PATH}: Redis adapters`, { name: "no auth", url: baseline.url }, { name: "auth+limit+credits (Redis)", url: red.app.url, headers: headersOf(red.keys) }, opts);
    lines.push(`redis:  ${r.ratio.toFixed(3)}x of no-auth throughput, ≈ ${perRequestUs(r.baseline.rps, r.candidate.rps)} µs per request, p50 +${(r.candidate.p50_ms - r.baseline.p50_ms).toFixed(3)} ms`);
  } else {
    lines.push(`redis:  skipped (${REDIS_URL} unreachable)`);
  }
  console.log(`\nsummary\n${lines.join("\n")}`);
} finally {
  for (const a of [baseline.app, mem.app, red?.app.app]) await a?.stop(true);
  await memIdentity.close();
  if (red) {
    await red.identity.close();
    const leftovers = await red.clients[0]!.keys(`${red.prefix}*`);
    if (leftovers.length) await red.clients[0]!.del(...leftovers);
    for (const c of red.clients) c.disconnect();
  }
  await service.stop();
  await sim.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
