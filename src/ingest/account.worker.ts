/**
 * The account-tracking thread (see account-worker.ts): the trackers, their REST refresher, the
 * sampler and the publisher run here, on the real clock. The store, the recorder, the venue's
 * account channels and the log stay with the main thread and are reached by message; the venue's
 * REST API is called from here directly.
 */
import { createActorSystem } from "../actors/system";
import { systemClock } from "../lib/clock";
import { periodic } from "../lib/periodic";
import type { Logger, LogLevel } from "../lib/log";
import { LighterRest } from "../venues/lighter/rest";
import { parseAccountFrameText } from "../venues/lighter/account-frames";
import type { LighterEvent } from "../venues/lighter/events";
import { runTrackers, type TrackerRun } from "./accounts-ingest";
import type { AccountThreadInit, FromWorker, RecordMethod, StoreMethod, ToWorker, TrackerEvent } from "./account-worker";

declare const self: Worker;

const post = (msg: FromWorker) => self.postMessage(msg);

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** A logger whose lines the main thread writes (with its own sink and base fields). */
function portLogger(level: LogLevel, base: Record<string, unknown>): Logger {
  const min = RANK[level];
  const emit = (l: Exclude<LogLevel, "silent">, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[l] < min) return;
    const all: Record<string, unknown> = { ...base, ...fields };
    if (all.err instanceof Error) all.err = { name: all.err.name, message: all.err.message, stack: all.err.stack };
    post({ t: "log", level: l, msg, fields: all });
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => portLogger(level, { ...base, ...fields }),
    enabled: (l) => RANK[l] >= min,
    flush: async () => {},
  };
}

const calls = new Map<number, { resolve: (v: unknown) => void; reject: (err: Error) => void }>();
let nextCall = 0;
const call = <T>(method: StoreMethod, ...args: unknown[]): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const id = ++nextCall;
    calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
    post({ t: "call", id, method, args });
  });
const record = (method: RecordMethod) => (rows: readonly unknown[]) => post({ t: "record", method, rows });

interface Running {
  run: TrackerRun;
  onEvents(events: TrackerEvent[]): void;
  stop(): Promise<void>;
}

function start(init: AccountThreadInit): Running {
  const clock = systemClock;
  const log = portLogger(init.logLevel, {});
  // The accounts followed on the venue's account channel: only their frames are applied.
  const followed = new Set<number>();
  const run = runTrackers({
    venue: init.venue,
    settings: init.settings,
    clock,
    log,
    system: createActorSystem({ clock, log }),
    recorder: { recordFills: record("recordFills"), recordPnlSnapshots: record("recordPnlSnapshots"), recordHeatmapTotals: record("recordHeatmapTotals") },
    store: {
      listTrackedAccounts: (venue) => call("listTrackedAccounts", venue),
      upsertTrackedAccounts: (rows) => call("upsertTrackedAccounts", rows),
    },
    rest: new LighterRest({ restUrl: init.restUrl, clock }),
    stream: {
      trackAccount(id) {
        followed.add(id);
        post({ t: "track", id });
      },
      untrackAccount(id) {
        followed.delete(id);
        post({ t: "untrack", id });
      },
    },
    publishTo: { set: async (key, value, ttlMs) => post({ t: "publish", key, value, ttlMs }) },
  });
  const stats = periodic({ clock, everyMs: init.settings.publishMs, task: async () => post({ t: "stats", stats: run.tracking.stats() }), onError: () => {} });
  stats.start();
  return {
    run,
    onEvents(events) {
      const parsed: LighterEvent[] = [];
      for (const e of events) {
        if (e.type !== "account.frame") {
          parsed.push(e);
          continue;
        }
        const event = parseAccountFrameText(e.text, followed, e.ts);
        if (event === "malformed") post({ t: "malformed", what: "deferred account_all", text: e.text.slice(0, 300) });
        else if (event) parsed.push(event);
      }
      run.onEvents(parsed);
    },
    async stop() {
      stats.stop();
      await run.stop();
    },
  };
}

let running: Running | undefined;

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  switch (msg.t) {
    case "init":
      running = start(msg.init);
      return post({ t: "ready" });
    case "events":
      return running?.onEvents(msg.events);
    case "request":
      return running?.run.tracking.request(msg.ids);
    case "lookup":
      return running?.run.tracking.lookupAddress(msg.address);
    case "reply": {
      const pending = calls.get(msg.id);
      calls.delete(msg.id);
      if (msg.ok) pending?.resolve(msg.value);
      else pending?.reject(new Error(msg.error));
      return;
    }
    case "stop": {
      const r = running;
      running = undefined;
      void (r?.stop() ?? Promise.resolve()).finally(() => post({ t: "stopped" }));
      return;
    }
  }
};
