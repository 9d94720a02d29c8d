/**
 * The account-tracking thread (see account-worker.ts): the trackers, their REST refresher, the
 * sampler and the publisher run here, on the real clock. The store, the recorder, the venue's
 * account channels and the log stay with the main thread and are reached by message; the venue's
 * REST API is called from here directly.
 */
import { createActorSystem } from "../actors/system";
import { systemClock } from "../lib/clock";
import { LOG_RANK, serializeError, type Logger, type LogLevel } from "../lib/log";
import { LighterRest } from "../venues/lighter/rest";
import { parseAccountFrameText } from "../venues/lighter/account-frames";
import type { LighterEvent } from "../venues/lighter/events";
import { runTrackers, type TrackerEvent, type TrackerRun } from "./accounts-ingest";
import type { AccountThreadInit, AccountWorkerReply, AccountWorkerRequest, RecordMethod, StoreCall } from "./account-worker";

declare const self: Worker;

const post = (msg: AccountWorkerReply) => self.postMessage(msg);

/** A logger whose lines the main thread writes (with its own sink and base fields). */
function portLogger(level: LogLevel, base: Record<string, unknown>): Logger {
  const min = LOG_RANK[level];
  const emit = (l: Exclude<LogLevel, "silent">, msg: string, fields?: Record<string, unknown>) => {
    if (LOG_RANK[l] < min) return;
    const all: Record<string, unknown> = { ...base, ...fields };
    if (all.err !== undefined) all.err = serializeError(all.err);
    try {
      post({ type: "log.line", level: l, msg, fields: all });
    } catch {
      // A field that cannot cross (a function, say): send the fields as text instead.
      let text: string;
      try {
        text = JSON.stringify(all);
      } catch {
        text = String(all);
      }
      post({ type: "log.line", level: l, msg, fields: { fields: text } });
    }
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => portLogger(level, { ...base, ...fields }),
    enabled: (l) => LOG_RANK[l] >= min,
    flush: async () => {},
  };
}

const calls = new Map<number, { resolve: (v: unknown) => void; reject: (err: Error) => void }>();
let nextCall = 0;
const call = <T>(c: StoreCall): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const id = ++nextCall;
    calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
    post({ type: "store.call", id, call: c });
  });
const record = (method: RecordMethod) => (rows: readonly unknown[]) => post({ type: "recorder.record", method, rows });

interface Running {
  run: TrackerRun;
  log: Logger;
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
      listTrackedAccounts: (venue) => call({ method: "listTrackedAccounts", venue }),
      upsertTrackedAccounts: (rows) => call({ method: "upsertTrackedAccounts", rows }),
    },
    rest: new LighterRest({ restUrl: init.restUrl, clock }),
    stream: {
      trackAccount(id) {
        followed.add(id);
        post({ type: "stream.track", id });
      },
      untrackAccount(id) {
        followed.delete(id);
        post({ type: "stream.untrack", id });
      },
    },
    publishTo: { set: async (key, value, ttlMs) => post({ type: "replication.publish", key, value, ttlMs }) },
  });
  return {
    run,
    log,
    onEvents(events) {
      const parsed: LighterEvent[] = [];
      for (const e of events) {
        if (e.type !== "account.frame") {
          parsed.push(e);
          continue;
        }
        const event = parseAccountFrameText(e.text, followed, e.ts);
        if (event === "malformed") post({ type: "feed.malformed", what: "deferred account_all", text: e.text.slice(0, 300) });
        else if (event) parsed.push(event);
      }
      run.onEvents(parsed);
    },
    stop: () => run.stop(),
  };
}

let running: Running | undefined;

/** Runs `fn` on the running tracker; a failure is logged, as the event loop's lane would, and the thread goes on. */
const guarded = (what: string, fn: (r: Running) => void) => {
  const r = running;
  if (!r) return;
  try {
    fn(r);
  } catch (err) {
    r.log.error(`accounts: ${what} failed`, { err });
  }
};

self.onmessage = (e: MessageEvent<AccountWorkerRequest>) => {
  const msg = e.data;
  switch (msg.type) {
    case "thread.init":
      running = start(msg.init);
      return;
    case "feed.events":
      return guarded("applying venue events", (r) => r.onEvents(msg.events));
    case "accounts.request":
      return guarded("a tracking request", (r) => r.run.tracking.request(msg.ids));
    case "accounts.lookup":
      return guarded("an address lookup", (r) => r.run.tracking.lookupAddress(msg.address));
    case "store.reply": {
      const pending = calls.get(msg.id);
      calls.delete(msg.id);
      if (msg.ok) pending?.resolve(msg.value);
      else pending?.reject(new Error(msg.error));
      return;
    }
    case "thread.stop": {
      const r = running;
      running = undefined;
      void (r?.stop() ?? Promise.resolve()).finally(() => post({ type: "thread.stopped" }));
      return;
    }
  }
};
