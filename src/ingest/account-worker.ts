/**
 * Account tracking on a worker thread (the thread itself: account.worker.ts). The messages between
 * the ingest pipeline's thread and it cross by structured clone, in order, on the worker's port:
 *
 *   to the thread    thread.init · feed.events (a lane delivery of venue events) · accounts.request
 *                    · accounts.lookup · store.reply · thread.stop
 *   from the thread  stream.track / stream.untrack (account channels) · recorder.record (rows)
 *                    · store.call (answered by store.reply) · replication.publish (the replica's
 *                    keys) · feed.malformed · log.line · thread.stopped
 */
import type { Config } from "../config";
import type { Deps } from "../deps";
import type { Clock } from "../lib/clock";
import { minLevel, type Logger, type LogLevel } from "../lib/log";
import type { Recorder } from "../recorder";
import type { TrackedAccountRecord } from "../store/ports";
import { createMemoryCache } from "../store/memory/cache";
import type { LighterClient } from "../venues/lighter/client";
import { subscribeAccountRequests, trackerSettings, type AccountsIngest, type TrackerEvent, type TrackerSettings } from "./accounts-ingest";
import { createHeatmapSource } from "./account-sampler";
import { createAccountReplica } from "./account-replica";
import { replicationKeys, type ReplicationHead } from "./account-replication";
import type { AccountRequest } from "./account-requests";

/** What the thread needs to run the trackers, the sampler and the publisher. */
export interface AccountThreadInit {
  venue: string;
  restUrl: string;
  /** The lowest level the node's logger writes: the thread sends nothing below it. */
  logLevel: LogLevel;
  settings: TrackerSettings;
}

/** The recorder methods the thread calls on the main thread (fire and forget). */
export type RecordMethod = "recordFills" | "recordPnlSnapshots" | "recordHeatmapTotals";

/** The accounts-store calls the thread makes; the main thread answers each with `store.reply`. */
export type StoreCall = { method: "listTrackedAccounts"; venue: string } | { method: "upsertTrackedAccounts"; rows: readonly TrackedAccountRecord[] };

/** Messages to the thread. */
export type AccountWorkerRequest =
  | { type: "thread.init"; init: AccountThreadInit }
  | { type: "feed.events"; events: TrackerEvent[] }
  | { type: "accounts.request"; ids: number[] }
  | { type: "accounts.lookup"; address: string }
  | { type: "store.reply"; id: number; ok: true; value: unknown }
  | { type: "store.reply"; id: number; ok: false; error: string }
  | { type: "thread.stop" };

/** Messages from the thread. */
export type AccountWorkerReply =
  | { type: "stream.track"; id: number }
  | { type: "stream.untrack"; id: number }
  | { type: "recorder.record"; method: RecordMethod; rows: readonly unknown[] }
  | { type: "store.call"; id: number; call: StoreCall }
  | { type: "replication.publish"; key: string; value: string; ttlMs?: number }
  | { type: "feed.malformed"; what: string; text: string }
  | { type: "log.line"; level: Exclude<LogLevel, "silent">; msg: string; fields: Record<string, unknown> }
  | { type: "thread.stopped" };

/** Starts the thread (tests wrap it to reach the thread). */
export const spawnAccountThread = (): Worker => new Worker(new URL("./account.worker.ts", import.meta.url));

/** Before a thread that died is replaced: doubling from a second while threads keep dying young. */
const RESPAWN_MS = 1_000;
/** A thread that ran this long before it died starts the doubling again. */
const HEALTHY_AFTER_MS = 10 * 60_000;
/** Threads in a row that die before HEALTHY_AFTER_MS: then tracking is left stopped (and reads answer 503). */
const MAX_QUICK_DEATHS = 5;
/** Replication keys kept here: a head, one full snapshot and the deltas not applied yet. */
const MAX_KEYS = 1_024;

/** Account tracking on its own thread, as the pipeline sees it. */
export interface AccountWorker extends AccountsIngest {
  /** Threads started after one died. */
  readonly restarts: number;
  /** The publishing run the read model holds (each thread starts its own; null before the first). */
  readonly run: string | null;
}

/**
 * Account tracking on its own thread. This node's read model is a replica of the thread's state,
 * kept from what its publisher posts (account-replication.ts's keys, in a cache of this thread;
 * with Redis they are also written there for other nodes), applied as each round arrives: reads
 * see a change within one publish interval (`ACCOUNT_PUBLISH_MS`). Heatmap updates are computed
 * from the replica. A thread that dies is replaced (after a second, doubling while they keep
 * dying); the new one starts from the saved accounts and the market list and refreshes the
 * accounts from the venue, as a restarted node would.
 */
export function createAccountWorker(o: {
  venue: string;
  config: Config;
  deps: Pick<Deps, "redis" | "cache"> & { store: Pick<Deps["store"], "accounts"> };
  clock: Clock;
  log: Logger;
  recorder: Pick<Recorder, RecordMethod>;
  client: Pick<LighterClient, "trackAccount" | "untrackAccount" | "noteMalformed">;
  restUrl: string;
  source: "simulator" | "remote";
  spawn?: () => Worker;
}): AccountWorker {
  const log = o.log.child({ component: "accounts" });
  const { redis, cache } = o.deps;
  const shared = redis && cache.kind === "redis" ? { redis, cache } : undefined;
  const store = o.deps.store.accounts;
  const settings = trackerSettings(o.config, o.source);
  // In this process the replica never misses a delta, so it needs only the first full snapshot of
  // a run; other nodes (Redis) need them periodically.
  const init: AccountThreadInit = {
    venue: o.venue, restUrl: o.restUrl, logLevel: minLevel(log),
    settings: shared ? settings : { ...settings, fullSnapshotMs: Number.POSITIVE_INFINITY },
  };
  const keys = createMemoryCache(o.clock, { maxEntries: MAX_KEYS });
  const replica = createAccountReplica({
    venue: o.venue, cache: keys, clock: o.clock, log, pollMs: settings.publishMs, requests: { publish: (msg) => toThread(msg) },
  });
  const heatmaps = createHeatmapSource({ model: replica, clock: o.clock });

  // One poll at a time (the replica reads the keys asynchronously); a head that arrives meanwhile
  // polls again after it. What the replica has applied is dropped: nothing else here reads it
  // (other nodes read Redis's copy), and a new run (a replaced thread) leaves the old one's keys.
  let polling = false;
  let pollAgain = false;
  let applied = { run: "", seq: 0 };
  /** The newest delta published per run. */
  const newest = new Map<string, number>();
  const forget = (run: string, from: number, to: number) => {
    for (let seq = from; seq <= to; seq++) void keys.del(replicationKeys.delta(o.venue, run, seq));
  };
  const forgetApplied = () => {
    const at = replica.position();
    if (!at) return;
    if (at.run === applied.run && at.seq < applied.seq) {
      // A delta went missing and the replica fell back to the run's first full snapshot, whose
      // later deltas are gone: only a new run (a new thread) brings it forward again.
      log.error("accounts: the node's replica lost the tracker thread's state; starting a new thread", { run: at.run, seq: at.seq, applied: applied.seq });
      applied = at;
      if (worker) lost(worker, "the replica lost a delta");
      return;
    }
    if (at.run !== applied.run) {
      if (applied.run) {
        forget(applied.run, applied.seq + 1, newest.get(applied.run) ?? applied.seq);
        void keys.del(replicationKeys.full(o.venue, applied.run));
        newest.delete(applied.run);
      }
      applied = { run: at.run, seq: 0 };
    }
    forget(at.run, applied.seq + 1, at.seq);
    applied = at;
  };
  const poll = () => {
    if (polling) return void (pollAgain = true);
    polling = true;
    void replica.poll().then(forgetApplied).finally(() => {
      polling = false;
      if (pollAgain) {
        pollAgain = false;
        poll();
      }
    });
  };

  /** The accounts the thread asked the venue client to follow. */
  const followed = new Set<number>();
  /** The newest market list: a new thread gets it first (the client sends it once per start). */
  let markets: TrackerEvent | undefined;
  let worker: Worker | null = null;
  let startedAt = 0;
  let restarts = 0;
  let quickDeaths = 0;
  let respawn: unknown;
  let stopping: Promise<void> | undefined;
  let stopped: (() => void) | undefined;
  const send = (msg: AccountWorkerRequest) => worker?.postMessage(msg);
  /** A tracking request from a route here or another node (Redis). */
  const toThread = (msg: AccountRequest) => send("ids" in msg ? { type: "accounts.request", ids: msg.ids } : { type: "accounts.lookup", address: msg.address });
  const reply = (w: Worker, id: number, p: Promise<unknown>) =>
    p.then(
      (value) => w.postMessage({ type: "store.reply", id, ok: true, value } satisfies AccountWorkerRequest),
      (err: unknown) => w.postMessage({ type: "store.reply", id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies AccountWorkerRequest),
    );
  const storeCall = (c: StoreCall): Promise<unknown> => {
    switch (c.method) {
      case "listTrackedAccounts":
        return store.listTrackedAccounts(c.venue);
      case "upsertTrackedAccounts":
        return store.upsertTrackedAccounts(c.rows);
    }
  };

  const handle = (w: Worker, msg: AccountWorkerReply) => {
    switch (msg.type) {
      case "stream.track":
        followed.add(msg.id);
        return o.client.trackAccount(msg.id);
      case "stream.untrack":
        followed.delete(msg.id);
        return o.client.untrackAccount(msg.id);
      case "recorder.record":
        return o.recorder[msg.method](msg.rows as never);
      case "store.call":
        return void reply(w, msg.id, Promise.resolve().then(() => storeCall(msg.call)));
      case "replication.publish":
        void keys.set(msg.key, msg.value, msg.ttlMs);
        shared?.cache.set(msg.key, msg.value, msg.ttlMs).catch((err) => log.warn("accounts: publishing account state to the cache failed", { err }));
        if (msg.key === replicationKeys.head(o.venue)) {
          const head = JSON.parse(msg.value) as ReplicationHead;
          newest.set(head.run, head.seq);
          poll();
        }
        return;
      case "feed.malformed":
        return o.client.noteMalformed(msg.what, msg.text);
      case "log.line":
        return log[msg.level](msg.msg, msg.fields);
      case "thread.stopped":
        return stopped?.();
    }
  };

  /** The thread `w` is gone: unless stopping, a new one takes over (its own follows, its own run). */
  const lost = (w: Worker, why: string) => {
    if (worker !== w) return;
    worker = null;
    w.terminate();
    for (const id of followed) o.client.untrackAccount(id);
    followed.clear();
    if (stopping) return stopped?.();
    replace(why);
  };
  /** Starts a new thread after a delay that doubles while threads keep dying young; gives up after MAX_QUICK_DEATHS. */
  const replace = (why: string) => {
    quickDeaths = o.clock.now() - startedAt >= HEALTHY_AFTER_MS ? 1 : quickDeaths + 1;
    if (quickDeaths >= MAX_QUICK_DEATHS) {
      return log.error("accounts: the tracker thread keeps failing; account tracking stopped until the node restarts", { why, failures: quickDeaths });
    }
    const delay = RESPAWN_MS * 2 ** (quickDeaths - 1);
    log.error("accounts: the tracker thread stopped; starting a new one", { why, in_ms: delay });
    respawn = o.clock.setTimeout(() => {
      respawn = undefined;
      restarts++;
      startedAt = o.clock.now();
      try {
        start();
      } catch (err) {
        replace(`could not start: ${err instanceof Error ? err.message : String(err)}`);
      }
    }, delay);
  };

  const start = () => {
    const w = (o.spawn ?? spawnAccountThread)();
    w.onmessage = (e: MessageEvent<AccountWorkerReply>) => {
      // A thread that was replaced or stopped has nothing more to say.
      if (w !== worker) return;
      try {
        handle(w, e.data);
      } catch (err) {
        log.error("accounts: a message from the tracker thread failed", { err, type: e.data?.type });
      }
    };
    w.onerror = (e) => lost(w, `error: ${e.message}`);
    w.addEventListener("close", () => lost(w, "exited"));
    // The thread must not keep the process alive on its own.
    w.unref();
    worker = w;
    startedAt = o.clock.now();
    w.postMessage({ type: "thread.init", init } satisfies AccountWorkerRequest);
    if (markets) w.postMessage({ type: "feed.events", events: [markets] } satisfies AccountWorkerRequest);
  };
  start();

  const unsubscribe = subscribeAccountRequests(o.deps, o.venue, log, toThread);

  // The final save must fit in the node's shutdown budget, before the recorder and the store close.
  const stopTimeoutMs = Math.max(1_000, Math.floor(o.config.shutdownTimeoutMs / 2));
  const stop = async () => {
    unsubscribe?.();
    heatmaps.stop();
    if (respawn !== undefined) o.clock.clearTimeout(respawn);
    const w = worker;
    if (!w) return;
    await new Promise<void>((resolve) => {
      const timer = o.clock.setTimeout(() => {
        log.warn("accounts: the tracker thread did not finish its final save in time", { timeout_ms: stopTimeoutMs });
        resolve();
      }, stopTimeoutMs);
      stopped = () => {
        o.clock.clearTimeout(timer);
        resolve();
      };
      w.postMessage({ type: "thread.stop" } satisfies AccountWorkerRequest);
    });
    worker = null;
    w.terminate();
  };

  return {
    model: replica,
    heatmaps,
    get restarts() {
      return restarts;
    },
    get run() {
      return replica.position()?.run ?? null;
    },
    onEvents(events) {
      for (const e of events) if (e.type === "markets") markets = e;
      if (events.length > 0) send({ type: "feed.events", events });
    },
    stop: () => (stopping ??= stop()),
  };
}
