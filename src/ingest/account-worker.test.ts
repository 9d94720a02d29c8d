/**
 * The node's side of the account-tracking thread, with a scripted thread on a ManualClock: how
 * threads are replaced (and when that stops), and what happens when the node's replica loses a
 * round. The real thread is exercised in test/integration/account-worker.test.ts.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { loadConfig } from "../config";
import { ManualClock } from "../lib/clock";
import { createLogger, memorySink, type Logger } from "../lib/log";
import { createMemoryCache } from "../store/memory/cache";
import { openSqliteStore } from "../store/sqlite/index.ts";
import type { Store } from "../store/ports";
import { createAccountWorker, type AccountWorker, type AccountWorkerReply, type AccountWorkerRequest } from "./account-worker";
import { payloadJson, replicationKeys } from "./account-replication";

/** A thread that records what it is sent and says what the test makes it say. */
class ScriptedThread {
  readonly sent: AccountWorkerRequest[] = [];
  onmessage: ((e: { data: AccountWorkerReply }) => void) | null = null;
  onerror: ((e: { message: string }) => void) | null = null;
  terminated = false;
  private readonly closers: (() => void)[] = [];
  postMessage(msg: AccountWorkerRequest): void {
    this.sent.push(msg);
  }
  addEventListener(type: string, fn: () => void): void {
    if (type === "close") this.closers.push(fn);
  }
  terminate(): void {
    this.terminated = true;
  }
  unref(): void {}
  say(msg: AccountWorkerReply): void {
    this.onmessage?.({ data: msg });
  }
  exit(): void {
    for (const fn of this.closers) fn();
  }
}

const VENUE = "lighter";
let clock: ManualClock;
let sink: ReturnType<typeof memorySink>;
let log: Logger;
let store: Store;
let threads: ScriptedThread[];
let accounts: AccountWorker;
/** The accounts the node's venue client was told to follow. */
let followed: number[];

beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  sink = memorySink();
  log = createLogger({ level: "info", sink });
  store = await openSqliteStore({ path: ":memory:" });
  threads = [];
  followed = [];
  accounts = createAccountWorker({
    venue: VENUE, config: loadConfig({}), deps: { redis: undefined, cache: createMemoryCache(clock), store }, clock, log,
    recorder: { recordFills() {}, recordPnlSnapshots() {}, recordHeatmapTotals() {} },
    client: { trackAccount: (id) => void followed.push(id), untrackAccount: (id) => void (followed = followed.filter((f) => f !== id)), noteMalformed() {} },
    restUrl: "http://127.0.0.1:1", source: "simulator",
    spawn: () => {
      const t = new ScriptedThread();
      threads.push(t);
      return t as unknown as Worker;
    },
  });
});

afterEach(async () => {
  await store.close();
});

const settle = () => new Promise((r) => setTimeout(r, 1));
const logged = async (text: string) => {
  await log.flush();
  return sink.lines.some((l) => l.includes(text));
};

test("a thread that dies is replaced after doubling delays, gets the market list first, and the fifth quick death in a row is the last", async () => {
  const markets = { type: "markets" as const, markets: [] };
  accounts.onEvents([markets]);
  expect(threads[0]!.sent.map((m) => m.type)).toEqual(["thread.init", "feed.events"]);
  for (const [i, delay] of [1_000, 2_000, 4_000, 8_000].entries()) {
    threads[i]!.exit();
    expect(threads[i]!.terminated).toBe(true);
    clock.advance(delay - 1);
    expect(threads.length).toBe(i + 1);
    clock.advance(1);
    expect(threads.length).toBe(i + 2);
    expect(threads[i + 1]!.sent).toEqual([expect.objectContaining({ type: "thread.init" }), { type: "feed.events", events: [markets] }]);
  }
  expect(accounts.restarts).toBe(4);
  threads[4]!.exit();
  clock.advance(10 * 60_000);
  expect(threads.length).toBe(5);
  expect(await logged("account tracking stopped until the node restarts")).toBe(true);
});

test("a replaced thread's follows are dropped and its late messages ignored", async () => {
  threads[0]!.say({ type: "stream.track", id: 5 });
  expect(followed).toEqual([5]);
  threads[0]!.exit();
  expect(followed).toEqual([]);
  threads[0]!.say({ type: "stream.track", id: 7 });
  clock.advance(1_000);
  threads[1]!.say({ type: "stream.track", id: 8 });
  expect(followed).toEqual([8]);
});

test("a replica that loses a round starts a new thread, whose run brings it forward", async () => {
  let t = threads[0]!;
  const publish = (run: string, seq: number, deltas: number[]) => {
    for (const s of deltas) t.say({ type: "replication.publish", key: replicationKeys.delta(VENUE, run, s), value: payloadJson({ marks: [] }, []) });
    if (seq === 1) t.say({ type: "replication.publish", key: replicationKeys.full(VENUE, run), value: payloadJson({ seq: 1, markets: [], marks: [] }, []) });
    t.say({ type: "replication.publish", key: replicationKeys.head(VENUE), value: JSON.stringify({ run, seq, full: 1, ts: clock.now() }) });
  };
  publish("A", 1, [1]);
  await settle();
  publish("A", 2, [2]);
  await settle();
  expect(accounts.run).toBe("A");
  expect(t.terminated).toBe(false);
  // Round 3 never arrives; round 4 does.
  publish("A", 4, [4]);
  await settle();
  expect(t.terminated).toBe(true);
  expect(await logged("the node's replica lost the tracker thread's state")).toBe(true);
  clock.advance(1_000);
  expect(threads.length).toBe(2);
  t = threads[1]!;
  publish("B", 1, [1]);
  await settle();
  expect(accounts.run).toBe("B");
});
