/**
 * Starts one Hyperlight node from a validated config: adapters, HTTP app, and — on nodes whose
 * role ingests — the venue pipeline once this node holds the ingest leader lock. Used by main.ts
 * and by end-to-end tests, which start the whole service in-process on port 0.
 */
import type { Config } from "./config";
import { systemClock, type Clock } from "./lib/clock";
import { createLogger, type Logger } from "./lib/log";
import { resolveJwtSecret } from "./lib/secrets";
import { VERSION } from "./lib/version";
import { createDeps, type Deps } from "./deps";
import { createApp, type App } from "./http/app";
import { Metrics } from "./http/metrics";
import { HealthService, type HealthProbe, type UpstreamView } from "./http/routes/health/service";
import { runLeaderElection } from "./actors/leader-election";
import { createIngestPipeline, type IngestPipeline, type Upstream } from "./ingest/pipeline";
import { startSimulator } from "./venues/lighter/sim";
import { createLiveMarkets } from "./market/live";
import { LIGHTER } from "./ingest/lighter-router";

export interface RunningService {
  url: string;
  port: number;
  app: App;
  deps: Deps;
  log: Logger;
  /** True while this node runs the ingest pipeline. */
  readonly ingesting: boolean;
  /** Graceful stop: refuse new connections, finish in-flight requests, flush writers, close stores. */
  stop(): Promise<void>;
}

export async function startService(
  config: Config,
  opts: { clock?: Clock; log?: Logger } = {},
): Promise<RunningService> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger({ level: config.logLevel, base: { service: "hyperlight" } });
  const deps = await createDeps(config, log, clock);
  const jwtSecret = resolveJwtSecret({ configured: config.jwtSecret, dataDir: config.dataDir });
  void jwtSecret; // consumed by the identity routes (API keys and JWT) once they are mounted
  const metrics = new Metrics();

  let pipeline: IngestPipeline | undefined;
  const idleUpstream = (): UpstreamView => ({
    venue: "lighter",
    network: "unknown",
    source: config.lighterUrl ? "remote" : "simulator",
    rest_url: config.lighterUrl ?? "embedded",
    ws_url: config.lighterWsUrl ?? "embedded",
    connection: config.role === "api" ? "not ingesting (api role)" : "standby",
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
  const app = createApp({
    clock,
    log,
    metrics,
    version: VERSION,
    health,
    marketData: { store: deps.store.marketData, live, venue: LIGHTER },
  });
  app.listen({ port: config.port, hostname: config.host });
  const server = app.server;
  if (!server) throw new Error("HTTP server did not start");
  const port = server.port ?? config.port;
  const url = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${port}`;
  log.info("listening", { url, role: config.role, store: deps.store.kind, cache: deps.cache.kind });

  // With no venue configured, the embedded simulator is the upstream: it serves Lighter's real
  // protocol on loopback and the pipeline reaches it through the live client.
  let simulator: { stop(): Promise<void> | void } | undefined;
  const openUpstream = async (): Promise<Upstream> => {
    if (config.lighterUrl) {
      const wsUrl = config.lighterWsUrl ?? config.lighterUrl.replace(/^http/, "ws").replace(/\/$/, "") + "/stream";
      return { restUrl: config.lighterUrl, wsUrl, source: "remote" };
    }
    const sim = await startSimulator({ port: 0, host: "127.0.0.1", seed: config.simSeed });
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
            pipeline = await createIngestPipeline({ config, deps, clock, log: log.child({ component: "ingest" }), metrics, upstream });
            await pipeline.start();
          },
          onLost: async () => {
            log.warn("ingest leadership lost; stopping ingest", { node: deps.nodeId });
            const p = pipeline;
            pipeline = undefined;
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
    get ingesting() {
      return pipeline !== undefined;
    },
    stop() {
      stopping ??= (async () => {
        log.info("shutting down");
        // Stop accepting; in-flight requests finish (Bun resolves once they have).
        const drained = server.stop(false);
        await Promise.race([drained, new Promise((r) => setTimeout(r, config.shutdownTimeoutMs))]);
        election?.stop();
        await pipeline?.stop();
        pipeline = undefined;
        await closeUpstream();
        await deps.close();
        log.info("stopped");
        await log.flush();
      })();
      return stopping;
    },
  };
}
