import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createActor } from "xstate";
import { ManualClock } from "../../lib/clock";
import type { LiveMarketView, MarketInfo } from "../../market/live";
import { openSqliteStore } from "../../store/sqlite";
import type { Store } from "../../store/ports";
import type { ReplayControlFrame } from "../../ws/replay/protocol";
import { replayLogic } from "./replay.actors";
import type { ReplayEmitted } from "./replay.events";

const T0 = 1_767_225_600_000;
const market = (marketId: number): MarketInfo => ({
  venue: "lighter", marketId, symbol: `M${marketId}`, priceDecimals: 2, sizeDecimals: 4, status: "active",
  minInitialMarginFraction: 0, maintenanceMarginFraction: 0, closeoutMarginFraction: 0,
});
const live = { market: async (_venue: string, id: number) => (id === 0 || id === 1 ? market(id) : null) } as unknown as LiveMarketView;
let store: Store;

beforeAll(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  await store.migrate();
  // Market 0: 400 trades, 4 per 10 ms, and a snapshot every 100 ms, over the first second.
  // Market 1: 6 trades and 2 snapshots.
  await store.marketData.insertTrades([
    ...Array.from({ length: 400 }, (_, i) => ({ venue: "lighter", marketId: 0, tradeId: i + 1, ts: T0 + Math.floor(i / 4) * 10, price: 100, size: 1, isMakerAsk: true, askAccountId: 1, bidAccountId: 2, kind: "trade" as const })),
    ...Array.from({ length: 6 }, (_, i) => ({ venue: "lighter", marketId: 1, tradeId: 1_000 + i, ts: T0 + i * 100, price: 100, size: 1, isMakerAsk: false, askAccountId: 1, bidAccountId: 2, kind: "trade" as const })),
  ]);
  await store.marketData.insertBookSnapshots([
    ...Array.from({ length: 10 }, (_, i) => ({ venue: "lighter", marketId: 0, ts: T0 + i * 100, nonce: i, bids: [[99, 1]] as [number, number][], asks: [[101, 1]] as [number, number][] })),
    ...[0, 500].map((dt, i) => ({ venue: "lighter", marketId: 1, ts: T0 + dt, nonce: i, bids: [[99, 1]] as [number, number][], asks: [[101, 1]] as [number, number][] })),
  ]);
});
afterAll(async () => {
  await store?.close();
});

/** The `replay_started` frame of a session over [T0, T0 + 1000) with the given counting cap. */
async function started(marketIds: number[], countCap: number): Promise<ReplayControlFrame> {
  const clock = new ManualClock(0);
  const logic = replayLogic({ store: store.marketData, live, venue: "lighter", countCap });
  const actor = createActor(logic, { clock, input: { request: { marketIds, start: T0, end: T0 + 1000, speed: 1 }, now: () => clock.now() } });
  const frame = new Promise<ReplayControlFrame>((resolve) =>
    actor.on("*", (e) => {
      const emitted = e as ReplayEmitted;
      if (emitted.type === "replay.send" && emitted.frame.type === "replay_started") resolve(emitted.frame);
    }),
  );
  actor.start();
  actor.send({ type: "replay.start" });
  const f = await frame;
  actor.stop();
  return f;
}

describe("replay_started counts", () => {
  test("under the cap every count is exact", async () => {
    expect(await started([0, 1], 1_000)).toMatchObject({
      markets: [
        { market_id: 0, trades: 400, orderbook_snapshots: 10, exact: true },
        { market_id: 1, trades: 6, orderbook_snapshots: 2, exact: true },
      ],
      estimated_events: 418, trades: 406, orderbook_snapshots: 12, exact: true,
    });
  });

  test("past the cap a market's counts are extrapolated from the rate of its first rows, and flagged", async () => {
    // Market 0: the 9th trade (the first past the cap) is at T0 + 20, so 9 rows per 21 ms over the
    // trades' 991 ms, about 425 (its first rows are denser than the rest); the 9th snapshot is at
    // T0 + 800, 9 per 801 ms over 901 ms, about 10. Market 1 is under the cap.
    expect(await started([0, 1], 8)).toMatchObject({
      markets: [
        { market_id: 0, trades: 425, orderbook_snapshots: 10, exact: false },
        { market_id: 1, trades: 6, orderbook_snapshots: 2, exact: true },
      ],
      estimated_events: 443, exact: false,
    });
  });
});
