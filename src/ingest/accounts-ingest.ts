/**
 * The accounts part of the ingest pipeline, built from the configuration: tracker shards and their
 * refresher (account-tracking.ts) and the periodic sampler (account-sampler.ts). The pipeline
 * feeds it every venue client event and stops it before the recorder closes. With a shared cache
 * (Redis) it also publishes the tracked state for nodes without a tracker (account-publisher.ts)
 * and takes their tracking requests (account-requests.ts).
 */
import type { Config } from "../config";
import type { Deps } from "../deps";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { Recorder } from "../recorder";
import type { ActorSystem } from "../actors/system";
import type { LighterClient } from "../venues/lighter/client";
import { createAccountTracking, type AccountTracking } from "./account-tracking";
import { startAccountSampler, type AccountSampler } from "./account-sampler";
import { startAccountPublisher, type AccountPublisher } from "./account-publisher";
import { createRedisAccountRequests } from "./account-requests";

/** Default REST budget (requests/minute) against a remote venue and against the embedded simulator. */
export const REFRESH_PER_MINUTE = { remote: 30, simulator: 6_000 } as const;
/** Open orders kept per account. */
const MAX_ORDERS = 100;

/** Account tracking of one ingest run. */
export interface AccountsIngest {
  /** The read model (attach it to the routes' slot) and the venue-event entry point. */
  readonly tracking: AccountTracking;
  /** PnL snapshots, heatmap totals, persistence and WebSocket heatmap updates (`sampler.onHeatmap`). */
  readonly sampler: AccountSampler;
  /** Saves changed accounts, then stops the sampler and the trackers. */
  stop(): Promise<void>;
}

export function createAccountsIngest(o: {
  venue: string;
  config: Config;
  deps: Deps;
  clock: Clock;
  log: Logger;
  recorder: Recorder;
  system: ActorSystem;
  client: LighterClient;
  source: "simulator" | "remote";
}): AccountsIngest {
  const { config } = o;
  const log = o.log.child({ component: "accounts" });
  const tracking = createAccountTracking({
    venue: o.venue, system: o.system, clock: o.clock, log, recorder: o.recorder, store: o.deps.store.accounts, rest: o.client.rest, stream: o.client,
    shards: config.accountShards, maxAccounts: config.accountMaxTracked, streamMax: config.accountStreamMax, configured: config.trackAccounts,
    refreshPerMinute: config.accountRefreshPerMinute ?? REFRESH_PER_MINUTE[o.source], refreshMaxAgeMs: config.accountRefreshMaxAgeMs, maxOrders: MAX_ORDERS,
  });
  const sampler = startAccountSampler({
    venue: o.venue, clock: o.clock, log, model: tracking, books: () => tracking.books(), recorder: o.recorder, store: o.deps.store.accounts,
    pnlEveryMs: config.accountPnlSnapshotMs, persistEveryMs: config.accountPersistMs,
  });
  let publisher: AccountPublisher | undefined;
  let unsubscribe: (() => void) | undefined;
  const { redis, cache } = o.deps;
  if (redis && cache.kind === "redis") {
    publisher = startAccountPublisher({
      venue: o.venue, cache, clock: o.clock, log, books: () => tracking.books(), markets: () => tracking.markets(),
      intervalMs: config.accountPublishMs, fullEveryMs: config.accountFullSnapshotMs,
    });
    unsubscribe = createRedisAccountRequests({ pub: redis.client, sub: redis.subscriber, venue: o.venue, log }).subscribe((msg) =>
      "ids" in msg ? tracking.request(msg.ids) : tracking.lookupAddress(msg.address),
    );
  }
  return {
    tracking,
    sampler,
    async stop() {
      unsubscribe?.();
      publisher?.stop();
      await sampler.persist().catch((err) => log.warn("accounts: final save failed", { err }));
      sampler.stop();
      tracking.stop();
    },
  };
}
