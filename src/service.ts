/**
 * Starts one Hyperlight node from a validated config: adapters, HTTP app, and — on nodes whose
 * role ingests — the venue pipeline once this node holds the ingest leader lock. Used by main.ts
 * and by end-to-end tests, which start the whole service in-process on port 0.
 */
import { join } from "node:path";
import type { Config } from "./config";
import { systemClock, type Clock } from "./lib/clock";
import { createLogger, type Logger } from "./lib/log";
import { resolveJwtSecret } from "./lib/secrets";
import { createTurnEnd } from "./lib/turn-end";
import { VERSION } from "./lib/version";
import { createDeps, type Deps } from "./deps";
import { createApp, type App } from "./http/app";
import { Metrics } from "./http/metrics";
import { HealthService, type HealthProbe, type UpstreamView } from "./http/routes/health/service";
import { runLeaderElection } from "./actors/leader-election";
import { createIngestPipeline, type IngestPipeline, type Upstream } from "./ingest/pipeline";
import { startSimulator } from "./venues/lighter/sim";
import { simHistorySource } from "./venues/lighter/sim/history-source";
import { seedHistory, type SeedWindow } from "./ingest/seeder";
import { createLiveMarkets } from "./market/live";
import { createAccountsSlot } from "./actors/accounts/read-model";
import { createAccountReplica } from "./ingest/account-replica";
import { createRedisAccountRequests } from "./ingest/account-requests";
import { LIGHTER } from "./ingest/lighter-router";
import { createIdentity, type Identity } from "./identity";
import { createWsLayer, type WsLayer } from "./ws";
import { identityAuthenticator } from "./ws/auth";
import { clientIp } from "./http/plugins/auth";
import { Elysia } from "elysia";
import { createReplayLayer, type ReplayLayer } from "./ws/replay";
import { createSignalsLayer, heatmapTotalsOf } from "./signals/layer";

export interface RunningService {
  url: string;
  port: number;
  app: App;
  deps: Deps;
  log: Logger;
  /** Users, keys, limits and credits of this node. */
  identity: Identity;
  /** The WebSocket layer: /ws gateway, stream fan-out and their counters. */
  ws: WsLayer;
  /** /ws/replay: backtesting replay sessions. */
  replay: ReplayLayer;
  /** True while this node runs the ingest pipeline. */
  readonly ingesting: boolean;
  /** Graceful stop: refuse new connections, finish in-flight requests, flush writers, close stores. */
  stop(): Promise<void>;
}

export async function startService(
  config: Config,
  /** `replayClock`: paces replay sessions (tests drive it with a ManualClock); default `clock`. */
  opts: { clock?: Clock; log?: Logger; replayClock?: Clock } = {},
): Promise<RunningService> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger({ level: config.logLevel, base: { service: "hyperlight" } });
  const deps = await createDeps(config, log, clock);
  const jwtSecret = resolveJwtSecret({ configured: config.jwtSecret, dataDir: config.dataDir });
  const identity = createIdentity({
    store: deps.store.identity,
    sharedStore: deps.store.capabilities.shared,
    cache: deps.cache,
    limiter: deps.limiter,
    clock,
    log,
    jwtSecret,
    jwtTtlSeconds: config.jwtTtlSeconds,
    redis: deps.redis,
    hashConcurrency: config.passwordHashConcurrency,
    registrationsPerIpPerHour: config.registrationsPerIpPerHour,
    adminToken: config.adminToken,
  });
  const metrics = new Metrics();

  let pipeline: IngestPipeline | undefined;
  /** Set while history is being seeded, for /status. */
  let seeding: string | undefined;
  const idleUpstream = (): UpstreamView => ({
    venue: "lighter",
    network: "unknown",
    source: config.lighterUrl ? "remote" : "simulator",
    rest_url: config.lighterUrl ?? "embedded",
    ws_url: config.lighterWsUrl ?? "embedded",
    connection: config.role === "api" ? "not ingesting (api role)" : seeding ?? "standby",
  });

  const probes = (): HealthProbe[] => [
    { name: deps.store.kind, critical: true, check: () => deps.store.ping() },
    { name: deps.cache.kind, critical: false, check: () => deps.cache.ping() },
    { name: "lighter_api", critical: false, check: async () => pipeline?.feedState() ?? "unknown" },
  ];
  const health = new HealthService({
    clock,
    version: VERSION,
    timeoutMs: config.healthTimeoutMs,
    probes,
    upstream: () => pipeline?.upstream() ?? idleUpstream(),
  });

  const live = createLiveMarkets(deps.cache);
  // Tracked venue accounts: served from the ingest pipeline's trackers while this node runs them;
  // otherwise, with Redis, from a replica of what the leader publishes (docs/accounts.md).
  const accounts = createAccountsSlot();
  const accountReplica =
    deps.redis && deps.cache.kind === "redis"
      ? createAccountReplica({
          venue: LIGHTER, cache: deps.cache, clock, log: log.child({ component: "accounts-replica" }), pollMs: config.accountPublishMs,
          requests: createRedisAccountRequests({ pub: deps.redis.client, sub: deps.redis.subscriber, venue: LIGHTER, log }),
        })
      : undefined;
  if (accountReplica) {
    accounts.attach(accountReplica);
    accountReplica.start();
  }
  // End-of-turn work of the whole process in one queue: cross-node sends before the ingest lane.
  const turnEnd = createTurnEnd({ onError: (err) => log.error("end-of-turn task failed", { err }) });
  // WebSocket streams: /ws gateway, fan-out of this node's topics, and the tap the pipeline feeds.
  const ws = createWsLayer({
    config,
    clock,
    log,
    metrics,
    live,
    venue: LIGHTER,
    authenticator: identityAuthenticator(identity),
    redis: deps.redis,
    nodeId: deps.nodeId,
    turnEnd,
    clientIp: (request, socketIp) => clientIp(request, socketIp, config.trustProxyHops),
  });
  // Backtesting replay (/ws/replay): same key check as /ws, its own per-account replay slots.
  const replay = createReplayLayer({
    clock: opts.replayClock ?? clock,
    log,
    metrics,
    // The worker opens the same store openStore did: the PostgreSQL URL, or the SQLite file in DATA_DIR.
    historyWorker: !config.replayReadWorker ? undefined : config.databaseUrl ? { postgresUrl: config.databaseUrl } : { sqlitePath: join(config.dataDir, "hyperlight.db") },
    authenticator: identityAuthenticator(identity),
    store: deps.store.marketData,
    live,
    venue: LIGHTER,
    authTimeoutMs: config.wsAuthTimeoutMs,
    redis: deps.redis,
    clientIp: (request, socketIp) => clientIp(request, socketIp, config.trustProxyHops),
  });
  // Signals: the routes on every node; evaluation and delivery only while this node leads ingest.
  const signals = createSignalsLayer({ config, store: deps.store, live, venue: LIGHTER, clock, log, metrics, nodeId: deps.nodeId });
  const app = createApp({
    clock,
    log,
    metrics,
    version: VERSION,
    health,
    marketData: { store: deps.store.marketData, live, venue: LIGHTER, accountsStore: deps.store.accounts, accounts },
    identity,
    trustProxyHops: config.trustProxyHops,
    ws: { plugin: new Elysia({ name: "ws.routes" }).use(ws.gateway.plugin).use(replay.gateway.plugin) as unknown as Elysia, serverOptions: ws.serverOptions },
    signals: signals.api,
  });
  app.listen({ port: config.port, hostname: config.host });
  const server = app.server;
  if (!server) throw new Error("HTTP server did not start");
  ws.attach(server);
  const port = server.port ?? config.port;
  const url = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${port}`;
  log.info("listening", { url, role: config.role, store: deps.store.kind, cache: deps.cache.kind });

  // With no venue configured, the embedded simulator is the upstream: it serves Lighter's real
  // protocol on loopback and the pipeline reaches it through the live client.
  let simulator: { stop(): Promise<void> | void } | undefined;
  // On a first start with the embedded simulator, history is seeded through the ingest path (the
  // API answers meanwhile); the live simulator then continues from where the seeded history ends.
  const seedEmbeddedHistory = async () => {
    const windows: SeedWindow[] = [];
    if (config.seedGuideWindow) windows.push({ label: "guide window 2026-01-01", from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 2) });
    const now = clock.now();
    if (config.seedHours > 0) windows.push({ label: `last ${config.seedHours}h`, from: now - config.seedHours * 3_600_000, to: now });
    if (windows.length === 0) return undefined;
    const source = simHistorySource({ seed: config.simSeed, rate: config.seedRate });
    seeding = "seeding history";
    const reports = await seedHistory({
      store: deps.store.marketData,
      dataDir: config.dataDir,
      log: log.child({ component: "seed" }),
      source,
      windows,
      snapshotEveryMs: config.seedSnapshotMs,
      onProgress: (label, percent) => void (seeding = `seeding history: ${label} ${percent}%`),
    }).finally(() => void (seeding = undefined));
    const last = reports.at(-1);
    return config.seedHours > 0 && last && !last.skipped ? source.engine : undefined;
  };

  const openUpstream = async (): Promise<Upstream> => {
    if (config.lighterUrl) {
      const wsUrl = config.lighterWsUrl ?? config.lighterUrl.replace(/^http/, "ws").replace(/\/$/, "") + "/stream";
      return { restUrl: config.lighterUrl, wsUrl, source: "remote" };
    }
    const engine = await seedEmbeddedHistory();
    const sim = await startSimulator({ port: 0, host: "127.0.0.1", seed: config.simSeed, rate: config.simRate, engine });
    simulator = sim;
    log.info("embedded Lighter simulator started", { url: sim.url, seed: config.simSeed });
    return { restUrl: sim.url, wsUrl: sim.wsUrl, source: "simulator" };
  };
  const closeUpstream = async () => {
    const sim = simulator;
    simulator = undefined;
    await sim?.stop();
  };

  const election =
    config.role === "api"
      ? undefined
      : runLeaderElection({
          lock: deps.leader,
          clock,
          retryMs: 2000,
          log: log.child({ component: "leader" }),
          onElected: async () => {
            log.info("ingest leader elected", { node: deps.nodeId });
            const upstream = await openUpstream();
            const signalRuntime = signals.runtime();
            pipeline = await createIngestPipeline({ config, deps, clock, log: log.child({ component: "ingest" }), metrics, upstream, streams: ws.tap, signals: signalRuntime, turnEnd });
            // Signals are loaded before the feed starts, so no market event goes unevaluated.
            await signalRuntime.start(heatmapTotalsOf(pipeline.accounts.model));
            await pipeline.start();
            accountReplica?.stop();
            accounts.attach(pipeline.accounts.model);
          },
          onLost: async () => {
            log.warn("ingest leadership lost; stopping ingest", { node: deps.nodeId });
            const p = pipeline;
            if (p) accounts.detach(p.accounts.model);
            if (accountReplica) {
              accounts.attach(accountReplica);
              accountReplica.start();
            }
            pipeline = undefined;
            await signals.stop();
            await p?.stop();
            await closeUpstream();
          },
        });

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    app,
    deps,
    log,
    identity,
    ws,
    replay,
    get ingesting() {
      return pipeline !== undefined;
    },
    stop() {
      stopping ??= (async () => {
        log.info("shutting down");
        // WebSocket clients get a 1001 close; they are not in-flight requests Bun would wait for.
        replay.close();
        const wsClosed = ws.close();
        // Stop accepting; in-flight requests finish (Bun resolves once they have).
        const drained = server.stop(false);
        await Promise.race([drained, new Promise((r) => setTimeout(r, config.shutdownTimeoutMs))]);
        election?.stop();
        accountReplica?.stop();
        // Signals first: firings being written reach the outbox while the store is open.
        await signals.stop();
        await pipeline?.stop();
        pipeline = undefined;
        await closeUpstream();
        await wsClosed;
        // Pending usage counts and credit debits reach the store before it closes.
        await identity.close();
        await deps.close();
        log.info("stopped");
        await log.flush();
      })();
      return stopping;
    },
  };
}
