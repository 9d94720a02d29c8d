import { describe, expect, test } from "bun:test";
import { createActor, fromPromise } from "xstate";
import { ManualClock } from "../../lib/clock";
import type { MarketInfo } from "../../market/live";
import type { BookSnapshotRecord, MarketDataStore, TradeRecord } from "../../store/ports";
import { readNext, readStateAt, type ReadState } from "./history";
import { storePageReader } from "./page-reader";
import { recordsHistory } from "./history-records";
import type { ResolvedReplay } from "./request";
import { replayMachine } from "./replay.machine";
import type { Located, LocateInput, MergedPage, PreparedReplay, ReadPageInput, ReplayEmitted } from "./replay.events";

const market: MarketInfo = {
  venue: "lighter", marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, status: "active",
  minInitialMarginFraction: 0, maintenanceMarginFraction: 0, closeoutMarginFraction: 0,
};
const T0 = 1_700_000_000_000;
const trade = (id: number, ts: number): TradeRecord => ({ venue: "lighter", marketId: 0, tradeId: id, ts, price: 100, size: 1, isMakerAsk: true, askAccountId: 1, bidAccountId: 2, kind: "trade" });
const snap = (ts: number): BookSnapshotRecord => ({ venue: "lighter", marketId: 0, ts, nonce: ts, bids: [[99, 1]], asks: [[101, 1]] });
const trades = [trade(1, T0), trade(2, T0 + 1000), trade(3, T0 + 1000), trade(4, T0 + 2500)];
const snaps = [snap(T0), snap(T0 + 1000), snap(T0 + 2000)];
const limits = { trades: 2, snapshots: 1 };

/** The two store reads the history uses, over arrays, with the store's cursor semantics. */
const rows = {
  readTradesAfter: async (q: { after: { ts: number; id: number }; end: number; limit: number }) =>
    trades.filter((r) => (r.ts > q.after.ts || (r.ts === q.after.ts && r.tradeId > q.after.id)) && r.ts < q.end).slice(0, q.limit),
  readBookSnapshotsAfter: async (q: { afterTs: number; end: number; limit: number }) => snaps.filter((r) => r.ts > q.afterTs && r.ts < q.end).slice(0, q.limit),
} as unknown as MarketDataStore;
const page = (state: ReadState, end: number): Promise<MergedPage> => readNext(storePageReader(recordsHistory(rows), "lighter", limits), { end, state });

function start(opts: { speed?: number; gate?: Promise<void> } = {}) {
  const clock = new ManualClock(5_000);
  const logic = replayMachine.provide({
    actors: {
      prepare: fromPromise<PreparedReplay, { request: ResolvedReplay }>(async () => (await opts.gate, { markets: [{ market, trades: 4, snapshots: 3, exact: true }], first: await page(readStateAt([market], T0), T0 + 3000) })),
      readPage: fromPromise<MergedPage, ReadPageInput>(({ input }) => page(input.state, input.end)),
      locate: fromPromise<Located, LocateInput>(async ({ input }) => {
        const position = [...snaps].reverse().find((s) => s.ts <= input.ts && s.ts >= input.start)?.ts ?? input.ts;
        return { position, first: await page(readStateAt([market], position), input.end) };
      }),
    },
  });
  const actor = createActor(logic, { clock, input: { request: { marketIds: [0], start: T0, end: T0 + 3000, speed: opts.speed ?? 1 }, now: () => clock.now(), lowWater: 2 } });
  const out: ReplayEmitted[] = [];
  actor.on("*", (e) => out.push(e as ReplayEmitted));
  actor.start();
  actor.send({ type: "replay.start" });
  const events = () => out.flatMap((e) => (e.type === "replay.events" ? e.heads.map((h) => JSON.parse(`${h}0}`) as { ts: number; event_type: string; data: { trade_id?: number } }) : []));
  const frames = (type: string) => out.flatMap((e) => (e.type === "replay.send" && e.frame.type === type ? [e.frame] : []));
  // The reads resolve in microtasks only; one macrotask turn lets every pending one finish.
  const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
  return { actor, clock, events, frames, flush };
}

describe("merged history pages", () => {
  test("any page size gives one order: ts, snapshot before trades, trade id", async () => {
    let state = readStateAt([market], T0);
    const seq: string[] = [];
    for (let guard = 0; guard < 20; guard++) {
      const p = await page(state, T0 + 3000);
      seq.push(...p.run.ts.map((ts, i) => `${ts - T0}:${p.run.kind[i] === 1 ? "t" : "s"}`));
      state = p.state;
      if (p.exhausted) break;
    }
    expect(seq).toEqual(["0:s", "0:t", "1000:s", "1000:t", "1000:t", "2000:s", "2500:t"]);
  });
});

describe("ReplayActor", () => {
  test("paces events by (ts − start) / speed on the injected clock and completes at the range's end", async () => {
    const { actor, clock, events, frames, flush } = start({ speed: 2 });
    await flush();
    expect(frames("replay_started")).toHaveLength(1);
    clock.advance(0);
    expect(events().map((e) => e.ts - T0)).toEqual([0, 0]);
    await flush();
    clock.advance(499);
    expect(events()).toHaveLength(2);
    clock.advance(1);
    expect(events()).toHaveLength(5);
    await flush();
    clock.advance(750);
    expect(events()).toHaveLength(7);
    expect(actor.getSnapshot().status).toBe("active");
    await flush();
    clock.advance(250);
    expect(actor.getSnapshot().value).toBe("completed");
    expect(frames("replay_complete")).toEqual([{ type: "replay_complete", events_sent: 7 }]);
  });

  test("loading: pause is held and acknowledged, seek is refused, stop ends the session", async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const s = start({ gate });
    s.actor.send({ type: "replay.pause" });
    s.actor.send({ type: "replay.seek", ts: T0 + 10 });
    expect(s.frames("replay_paused")).toHaveLength(1);
    expect(s.frames("error")).toEqual([expect.objectContaining({ code: "conflict" })]);
    open();
    await s.flush();
    s.clock.advance(10_000);
    expect(s.events()).toHaveLength(0);
    s.actor.send({ type: "replay.stop" });
    expect(s.actor.getSnapshot().value).toBe("stopped");
    expect(s.frames("replay_stopped")).toEqual([{ type: "replay_stopped", events_sent: 0 }]);
  });

  test("seeking: another seek restarts it, pause is remembered, stop ends it", async () => {
    const s = start();
    await s.flush();
    s.actor.send({ type: "replay.seek", ts: T0 + 1500 });
    expect(s.actor.getSnapshot().value).toBe("seeking");
    s.actor.send({ type: "replay.seek", ts: T0 + 2100 });
    s.actor.send({ type: "replay.pause" });
    await s.flush();
    expect(s.frames("replay_seeked")).toEqual([{ type: "replay_seeked", ts: T0 + 2100, position: T0 + 2000 }]);
    expect(s.actor.getSnapshot().matches({ active: { play: "paused" } })).toBe(true);
    s.actor.send({ type: "replay.seek", ts: T0 + 100 });
    s.actor.send({ type: "replay.stop" });
    expect(s.actor.getSnapshot().value).toBe("stopped");
  });

  test("backpressure holds delivery while the clock runs; drained sends the late events", async () => {
    const s = start();
    await s.flush();
    s.actor.send({ type: "socket.blocked" });
    s.clock.advance(1_200);
    expect(s.events()).toHaveLength(0);
    s.actor.send({ type: "socket.drained" });
    await s.flush();
    s.clock.advance(0);
    expect(s.events().length).toBeGreaterThanOrEqual(2);
  });
});
