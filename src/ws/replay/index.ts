/**
 * Composes /ws/replay for one node: the replay slot quota (in memory, or Redis leases shared by
 * every node, renewed while held), the gateway reading history from the store (in process or on a
 * worker thread), and its metrics.
 */
import type Redis from "ioredis";
import type { Metrics } from "../../http/metrics";
import type { Clock } from "../../lib/clock";
import type { Logger } from "../../lib/log";
import type { LiveMarketView } from "../../market/live";
import type { MarketDataStore } from "../../store/ports";
import type { WsAuthenticator } from "../auth";
import { createMemoryConnectionQuota } from "../connection-quota";
import { createRedisConnectionQuota } from "../connection-quota.redis";
import { createWorkerPageReader, type HistoryLocation } from "../../actors/replay/history-worker";
import { createReplayGateway, type ReplayGateway } from "./gateway";
import { registerReplayMetrics } from "./stats";

/** What the composition root hands the replay layer. */
export interface ReplayLayerOptions {
  clock: Clock;
  log: Logger;
  authenticator: WsAuthenticator;
  store: MarketDataStore;
  live: LiveMarketView;
  venue: string;
  authTimeoutMs: number;
  redis?: { client: Redis };
  /** Where the replay gauges and counters are registered (omitted in benches). */
  metrics?: Metrics;
  /** Read and render history on a worker thread with its own connection to this store; unset: in process. */
  historyWorker?: HistoryLocation;
  clientIp?: (request: Request, socketIp: string | undefined) => string | null;
}

/** The replay layer of one node. */
export interface ReplayLayer {
  readonly gateway: ReplayGateway;
  close(): void;
}

/** Builds the quota and the gateway. */
export function createReplayLayer(opts: ReplayLayerOptions): ReplayLayer {
  const { clock } = opts;
  const log = opts.log.child({ component: "replay" });
  const quota = opts.redis ? createRedisConnectionQuota({ redis: opts.redis.client, prefix: "hl:replay:slots:", clock }) : createMemoryConnectionQuota();
  const worker = opts.historyWorker ? createWorkerPageReader({ location: opts.historyWorker, venue: opts.venue, log }) : undefined;
  const gateway = createReplayGateway({ ...opts, log, quota, pages: worker?.read });
  if (opts.metrics) registerReplayMetrics(opts.metrics, gateway);
  let timer: unknown = null;
  const every = quota.renewEveryMs;
  const renew = () => {
    quota.renew(gateway.slots()).catch((err) => log.warn("replay slot renewal failed", { err }));
    timer = clock.setTimeout(renew, every ?? 0);
  };
  if (every !== null) timer = clock.setTimeout(renew, every);
  return {
    gateway,
    close() {
      if (timer !== null) clock.clearTimeout(timer);
      gateway.close();
      worker?.close();
    },
  };
}
