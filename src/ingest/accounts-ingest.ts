/**
 * The accounts part of the ingest pipeline: tracker shards and their refresher
 * (account-tracking.ts), the periodic sampler (account-sampler.ts) and, where other readers need
 * it, the publisher of the tracked state (account-publisher.ts). The pipeline feeds it one loop
 * turn's venue events at a time and stops it before the recorder closes.
 *
 * It runs on a worker thread of its own by default (account-worker.ts: the trackers' parsing and
 * steps and their garbage stay off the event loop that fans out the streams, and this node's read
 * model is a replica of the thread's state, as on a node without a tracker) or, with
 * `ACCOUNT_THREAD=main` or an injected clock, on the event loop (`createAccountsIngest`).
 */
import type { Config } from "../config";
import type { Deps } from "../deps";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { Recorder } from "../recorder";
import type { AccountsStore, Cache } from "../store/ports";
import type { ActorSystem } from "../actors/system";
import type { AccountsReadModel } from "../actors/accounts/read-model";
import type { LighterClient } from "../venues/lighter/client";
import type { LighterEvent } from "../venues/lighter/events";
import { createAccountTracking, type AccountTracking } from "./account-tracking";
import type { AccountRest } from "./account-refresher";
import { startAccountSampler, type AccountSampler, type HeatmapSource } from "./account-sampler";
import { startAccountPublisher, type AccountPublisher } from "./account-publisher";
import { createRedisAccountRequests, type AccountRequest } from "./account-requests";
import { mergeAdjacentTrades } from "./lighter-router";

/** Default REST budget (requests/minute) against a remote venue and against the embedded simulator. */
export const REFRESH_PER_MINUTE = { remote: 30, simulator: 6_000 } as const;
/** Open orders kept per account. */
const MAX_ORDERS = 100;

/** The venue events account tracking reads (book events never cross). */
export type TrackerEvent = Extract<LighterEvent, { type: "markets" | "stats" | "funding" | "trades" | "account" | "account.frame" }>;

/** Whether account tracking reads `e`. */
export const isTrackerEvent = (e: LighterEvent): e is TrackerEvent =>
  e.type === "markets" || e.type === "stats" || e.type === "funding" || e.type === "trades" || e.type === "account" || e.type === "account.frame";

/** Account tracking of one ingest run, wherever it runs. */
export interface AccountsIngest {
  /** What REST routes, signals and the WebSocket layer read. */
  readonly model: AccountsReadModel;
  /** One loop turn's venue events that tracking reads, in order. */
  onEvents(events: TrackerEvent[]): void;
  /** Heatmap updates for the WebSocket layer. */
  readonly heatmaps: HeatmapSource;
  /** Saves changed accounts, then stops the sampler and the trackers. */
  stop(): Promise<void>;
}

/** The tracker's settings, from the configuration. */
export interface TrackerSettings {
  shards: number;
  maxAccounts: number;
  streamMax: number;
  configured: number[];
  refreshPerMinute: number;
  refreshMaxAgeMs: number;
  maxOrders: number;
  pnlEveryMs: number;
  persistEveryMs: number;
  publishMs: number;
  fullSnapshotMs: number;
}

/** The tracker's settings of a node with `config` against a venue of `source`. */
export const trackerSettings = (config: Config, source: "simulator" | "remote"): TrackerSettings => ({
  shards: config.accountShards, maxAccounts: config.accountMaxTracked, streamMax: config.accountStreamMax, configured: [...config.trackAccounts],
  refreshPerMinute: config.accountRefreshPerMinute ?? REFRESH_PER_MINUTE[source], refreshMaxAgeMs: config.accountRefreshMaxAgeMs, maxOrders: MAX_ORDERS,
  pnlEveryMs: config.accountPnlSnapshotMs, persistEveryMs: config.accountPersistMs, publishMs: config.accountPublishMs, fullSnapshotMs: config.accountFullSnapshotMs,
});

/** The trackers, sampler and (given a cache) publisher over the ports they write to. */
export interface TrackerRun {
  tracking: AccountTracking;
  sampler: AccountSampler;
  /** Feeds one turn's events; `account` events must be parsed already. */
  onEvents(events: LighterEvent[]): void;
  stop(): Promise<void>;
}

export function runTrackers(o: {
  venue: string;
  settings: TrackerSettings;
  clock: Clock;
  log: Logger;
  system: ActorSystem;
  recorder: Pick<Recorder, "recordFills" | "recordPnlSnapshots" | "recordHeatmapTotals">;
  store: Pick<AccountsStore, "listTrackedAccounts" | "upsertTrackedAccounts">;
  rest: AccountRest;
  stream: { trackAccount(id: number): void; untrackAccount(id: number): void };
  /** Where the tracked state is published for replicas (none: not published). */
  publishTo?: Pick<Cache, "set">;
}): TrackerRun {
  const s = o.settings;
  const tracking = createAccountTracking({
    venue: o.venue, system: o.system, clock: o.clock, log: o.log, recorder: o.recorder, store: o.store, rest: o.rest, stream: o.stream,
    shards: s.shards, maxAccounts: s.maxAccounts, streamMax: s.streamMax, configured: s.configured,
    refreshPerMinute: s.refreshPerMinute, refreshMaxAgeMs: s.refreshMaxAgeMs, maxOrders: s.maxOrders,
  });
  const sampler = startAccountSampler({
    venue: o.venue, clock: o.clock, log: o.log, model: tracking, books: () => tracking.books(), recorder: o.recorder, store: o.store,
    pnlEveryMs: s.pnlEveryMs, persistEveryMs: s.persistEveryMs,
  });
  const publisher: AccountPublisher | undefined = o.publishTo
    ? startAccountPublisher({
        venue: o.venue, cache: o.publishTo, clock: o.clock, log: o.log, books: () => tracking.books(), markets: () => tracking.markets(),
        intervalMs: s.publishMs, fullEveryMs: s.fullSnapshotMs,
      })
    : undefined;
  return {
    tracking,
    sampler,
    onEvents: (events) => tracking.onEvents(mergeAdjacentTrades(events)),
    async stop() {
      publisher?.stop();
      await sampler.persist().catch((err) => o.log.warn("accounts: final save failed", { err }));
      sampler.stop();
      tracking.stop();
    },
  };
}

/** Account tracking in this thread: reads are served from the trackers' own memory. */
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
  const log = o.log.child({ component: "accounts" });
  const { redis, cache } = o.deps;
  const shared = redis && cache.kind === "redis";
  const run = runTrackers({
    venue: o.venue, settings: trackerSettings(o.config, o.source), clock: o.clock, log, system: o.system, recorder: o.recorder,
    store: o.deps.store.accounts, rest: o.client.rest, stream: o.client, publishTo: shared ? cache : undefined,
  });
  const unsubscribe = subscribeAccountRequests(o.deps, o.venue, log, (msg) => ("ids" in msg ? run.tracking.request(msg.ids) : run.tracking.lookupAddress(msg.address)));
  return {
    model: run.tracking,
    heatmaps: run.sampler,
    onEvents(events) {
      const parsed: LighterEvent[] = [];
      for (const e of events) {
        const event = e.type === "account.frame" ? o.client.parseAccountFrame(e) : e;
        if (event) parsed.push(event);
      }
      run.onEvents(parsed);
    },
    async stop() {
      unsubscribe?.();
      await run.stop();
    },
  };
}

/** With Redis, tracking requests from nodes without a tracker go to `handle`; returns the unsubscribe (none without Redis). */
export function subscribeAccountRequests(deps: Pick<Deps, "redis" | "cache">, venue: string, log: Logger, handle: (msg: AccountRequest) => void): (() => void) | undefined {
  const { redis, cache } = deps;
  if (!redis || cache.kind !== "redis") return undefined;
  return createRedisAccountRequests({ pub: redis.client, sub: redis.subscriber, venue, log }).subscribe(handle);
}
