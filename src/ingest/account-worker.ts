/**
 * Account tracking on a worker thread (the thread itself: account.worker.ts). The messages between
 * the ingest pipeline's thread and it cross by structured clone, in order, on the worker's port:
 *
 *   main → worker   init · events (one loop turn's venue events) · request · lookup · reply · stop
 *   worker → main   ready · track / untrack (account channels) · record (rows for the recorder)
 *                   · call (the accounts store, answered by `reply`) · publish (replication
 *                   keys: the main thread's replica reads them) · stats · malformed · log · stopped
 */
import type { Config } from "../config";
import type { Deps } from "../deps";
import type { Clock } from "../lib/clock";
import type { Logger, LogLevel } from "../lib/log";
import type { Recorder } from "../recorder";
import type { TrackedAccountRecord } from "../store/ports";
import { createMemoryCache } from "../store/memory/cache";
import { unavailableAccounts, type AccountsStats } from "../actors/accounts/read-model";
import type { LighterClient } from "../venues/lighter/client";
import type { LighterEvent } from "../venues/lighter/events";
import { trackerSettings, type AccountsIngest, type TrackerSettings } from "./accounts-ingest";
import { createHeatmapSource } from "./account-sampler";
import { createAccountReplica } from "./account-replica";
import { replicationKeys } from "./account-replication";
import { createRedisAccountRequests } from "./account-requests";

/** What the worker needs to run the trackers, the sampler and the publisher. */
export interface AccountThreadInit {
  venue: string;
  restUrl: string;
  logLevel: LogLevel;
  settings: TrackerSettings;
}

/** The venue events account tracking reads (book events never cross). */
export type TrackerEvent = Extract<LighterEvent, { type: "markets" | "stats" | "funding" | "trades" | "account" | "account.frame" }>;

export const isTrackerEvent = (e: LighterEvent): e is TrackerEvent =>
  e.type === "markets" || e.type === "stats" || e.type === "funding" || e.type === "trades" || e.type === "account" || e.type === "account.frame";

/** The store methods the worker calls on the main thread. */
export type StoreMethod = "listTrackedAccounts" | "upsertTrackedAccounts";

/** The recorder methods the worker calls on the main thread (fire and forget). */
export type RecordMethod = "recordFills" | "recordPnlSnapshots" | "recordHeatmapTotals";

export type ToWorker =
  | { t: "init"; init: AccountThreadInit }
  | { t: "events"; events: TrackerEvent[] }
  | { t: "request"; ids: number[] }
  | { t: "lookup"; address: string }
  | { t: "reply"; id: number; ok: true; value: unknown }
  | { t: "reply"; id: number; ok: false; error: string }
  | { t: "stop" };

export type FromWorker =
  | { t: "ready" }
  | { t: "track"; id: number }
  | { t: "untrack"; id: number }
  | { t: "record"; method: RecordMethod; rows: readonly unknown[] }
  | { t: "call"; id: number; method: StoreMethod; args: unknown[] }
  | { t: "publish"; key: string; value: string; ttlMs?: number }
  | { t: "stats"; stats: AccountsStats }
  | { t: "malformed"; what: string; text: string }
  | { t: "log"; level: Exclude<LogLevel, "silent">; msg: string; fields: Record<string, unknown> }
  | { t: "stopped" };

/** Before a thread that died is replaced. */
const RESPAWN_MS = 1_000;
/** How long a stopping thread may take for its final save. */
const STOP_TIMEOUT_MS = 15_000;

/**
 * Account tracking on its own thread. This node's read model is a replica of the thread's state,
 * kept from what its publisher posts (account-replication.ts's keys, in a cache of this thread;
 * with Redis they are also written there for other nodes), applied as each round arrives: reads
 * see a change within one publish interval (`ACCOUNT_PUBLISH_MS`). Heatmap updates are computed
 * from the replica. A thread that dies is replaced after a second; the new one starts from the
 * saved accounts and refreshes them from the venue, as a restarted node would.
 */
export function createAccountWorker(o: {
  venue: string;
  config: Config;
  deps: Deps;
  clock: Clock;
  log: Logger;
  recorder: Pick<Recorder, RecordMethod>;
  client: Pick<LighterClient, "trackAccount" | "untrackAccount" | "noteMalformed">;
  restUrl: string;
  source: "simulator" | "remote";
}): AccountsIngest {
  const log = o.log.child({ component: "accounts" });
  const { redis, cache } = o.deps;
  const shared = redis && cache.kind === "redis" ? cache : undefined;
  const store = o.deps.store.accounts;
  const init: AccountThreadInit = { venue: o.venue, restUrl: o.restUrl, logLevel: o.config.logLevel, settings: trackerSettings(o.config, o.source) };
  // The replication keys the thread publishes: a few per round, and deltas expire.
  const keys = createMemoryCache(o.clock);
  let stats: AccountsStats = { ...unavailableAccounts.stats(), shards: init.settings.shards };
  const replica = createAccountReplica({
    venue: o.venue, cache: keys, clock: o.clock, log, pollMs: init.settings.publishMs, stats: () => stats,
    requests: { publish: (msg) => send("ids" in msg ? { t: "request", ids: msg.ids } : { t: "lookup", address: msg.address }) },
  });
  const heatmaps = createHeatmapSource({ model: replica, clock: o.clock });
  // One poll at a time; a head that arrives meanwhile polls again after it. Deltas the replica
  // has applied are dropped: nothing else reads them here (other nodes read Redis's copy).
  let polling = false;
  let pollAgain = false;
  let applied = { run: "", seq: 0 };
  const forgetApplied = () => {
    const at = replica.position();
    if (!at) return;
    const from = at.run === applied.run ? applied.seq + 1 : 1;
    for (let seq = from; seq <= at.seq; seq++) void keys.del(replicationKeys.delta(o.venue, at.run, seq));
    applied = at;
  };
  const poll = () => {
    if (polling) return void (pollAgain = true);
    polling = true;
    void replica
      .poll()
      .then(forgetApplied)
      .catch((err) => log.warn("accounts: applying the tracker thread's state failed", { err }))
      .finally(() => {
        polling = false;
        if (pollAgain) {
          pollAgain = false;
          poll();
        }
      });
  };

  /** The accounts the thread asked the venue client to follow. */
  const followed = new Set<number>();
  let worker: Worker | null = null;
  let stopping = false;
  let stopped: (() => void) | undefined;
  let respawn: unknown;
  const send = (msg: ToWorker) => worker?.postMessage(msg);
  const reply = (w: Worker, id: number, p: Promise<unknown>) =>
    p.then(
      (value) => w.postMessage({ t: "reply", id, ok: true, value } satisfies ToWorker),
      (err: unknown) => w.postMessage({ t: "reply", id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies ToWorker),
    );

  const onMessage = (w: Worker, msg: FromWorker) => {
    switch (msg.t) {
      case "track":
        followed.add(msg.id);
        return o.client.trackAccount(msg.id);
      case "untrack":
        followed.delete(msg.id);
        return o.client.untrackAccount(msg.id);
      case "record":
        return o.recorder[msg.method](msg.rows as never);
      case "call":
        return void reply(
          w, msg.id,
          msg.method === "listTrackedAccounts" ? store.listTrackedAccounts(msg.args[0] as string) : store.upsertTrackedAccounts(msg.args[0] as TrackedAccountRecord[]),
        );
      case "publish":
        void keys.set(msg.key, msg.value, msg.ttlMs);
        shared?.set(msg.key, msg.value, msg.ttlMs).catch((err) => log.warn("accounts: publishing account state to the cache failed", { err }));
        if (msg.key === replicationKeys.head(o.venue)) poll();
        return;
      case "stats":
        stats = msg.stats;
        return;
      case "malformed":
        return o.client.noteMalformed(msg.what, msg.text);
      case "log":
        return log[msg.level](msg.msg, msg.fields);
      case "stopped":
        return stopped?.();
      case "ready":
        return;
    }
  };

  const spawn = () => {
    const w = new Worker(new URL("./account.worker.ts", import.meta.url));
    w.onmessage = (e: MessageEvent<FromWorker>) => onMessage(w, e.data);
    w.onerror = (e) => {
      log.error("accounts: the tracker thread failed; starting a new one", { err: e.message });
      if (worker !== w) return;
      worker = null;
      w.terminate();
      // The new thread decides again what to follow.
      for (const id of followed) o.client.untrackAccount(id);
      followed.clear();
      if (!stopping) respawn = o.clock.setTimeout(spawn, RESPAWN_MS);
    };
    // The thread must not keep the process alive on its own.
    w.unref();
    w.postMessage({ t: "init", init } satisfies ToWorker);
    worker = w;
  };
  spawn();

  const unsubscribe = shared
    ? createRedisAccountRequests({ pub: redis!.client, sub: redis!.subscriber, venue: o.venue, log }).subscribe((msg) =>
        send("ids" in msg ? { t: "request", ids: msg.ids } : { t: "lookup", address: msg.address }),
      )
    : undefined;

  return {
    model: replica,
    heatmaps,
    onEvents(events) {
      const out: TrackerEvent[] = [];
      for (const e of events) if (isTrackerEvent(e)) out.push(e);
      if (out.length > 0) send({ t: "events", events: out });
    },
    async stop() {
      stopping = true;
      unsubscribe?.();
      heatmaps.stop();
      if (respawn !== undefined) o.clock.clearTimeout(respawn);
      const w = worker;
      if (!w) return;
      // The final save goes through this thread's store, which is still open.
      await new Promise<void>((resolve) => {
        const timer = o.clock.setTimeout(() => {
          log.warn("accounts: the tracker thread did not stop in time");
          resolve();
        }, STOP_TIMEOUT_MS);
        stopped = () => {
          o.clock.clearTimeout(timer);
          resolve();
        };
        w.postMessage({ t: "stop" } satisfies ToWorker);
      });
      worker = null;
      w.terminate();
    },
  };
}
