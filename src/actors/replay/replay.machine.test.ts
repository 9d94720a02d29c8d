import { describe, expect, test } from "bun:test";
import { createActor, fromPromise } from "xstate";
import { ManualClock } from "../../lib/clock";
import type { MarketInfo } from "../../market/live";
import type { BookSnapshotRecord, TradeRecord } from "../../store/ports";
import { mergePages, type ReadCursor } from "./history";
import type { ResolvedReplay } from "./request";
import { replayMachine } from "./replay.machine";
import type { LocateInput, MergedPage, PreparedReplay, ReadPageInput, ReplayEmitted } from "./replay.events";

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

/** In-memory pages with the store's cursor semantics. */
function page(cursor: ReadCursor, end: number): MergedPage {
  const t = trades.filter((r) => (r.ts > cursor.trade.ts || (r.ts === cursor.trade.ts && r.tradeId > cursor.trade.id)) && r.ts < end).slice(0, limits.trades);
  const s = snaps.filter((r) => r.ts > cursor.snapTs && r.ts < end).slice(0, limits.snapshots);
  return mergePages(t, s, limits, cursor, market);
}

function start(opts: { speed?: number; gate?: Promise<void> } = {}) {
  const clock = new ManualClock(5_000);
  const logic = replayMachine.provide({
    actors: {
      prepare: fromPromise<PreparedReplay, { request: ResolvedReplay }>(async () => (await opts.gate, { market, trades: 4, snapshots: 3 })),
      readPage: fromPromise<MergedPage, ReadPageInput>(async ({ input }) => page(input.cursor, input.end)),
      locate: fromPromise<number, LocateInput>(async ({ input }) => [...snaps].reverse().find((s) => s.ts <= input.ts && s.ts >= input.start)?.ts ?? input.ts),
    },
  });
  const actor = createActor(logic, { clock, input: { request: { marketId: 0, start: T0, end: T0 + 3000, speed: opts.speed ?? 1 }, now: () => clock.now(), lowWater: 2 } });
  const out: ReplayEmitted[] = [];
  actor.on("*", (e) => out.push(e as ReplayEmitted));
  actor.start();
  actor.send({ type: "replay.start" });
  const events = () => out.flatMap((e) => (e.type === "replay.events" ? e.heads.map((h) => JSON.parse(`${h}0}`) as { ts: number; event_type: string; data: { trade_id?: number } }) : []));
  const frames = (type: string) => out.flatMap((e) => (e.type === "replay.send" && e.frame.type === type ? [e.frame] : []));
  const flush = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { actor, clock, events, frames, flush };
}

describe("merged history pages", () => {
  test("any page size gives one order: ts, snapshot before trades, trade id", () => {
    let cursor: ReadCursor = { trade: { ts: T0 - 1, id: Number.MAX_SAFE_INTEGER }, snapTs: T0 - 1 };
    const seq: string[] = [];
    for (let guard = 0; guard < 20; guard++) {
      const p = page(cursor, T0 + 3000);
      seq.push(...p.items.map((i) => `${i.ts - T0}:${i.head.includes('"trade"') ? "t" : "s"}`));
      cursor = p.cursor;
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
