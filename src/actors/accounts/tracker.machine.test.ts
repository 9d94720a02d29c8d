import { describe, expect, test } from "bun:test";
import { createActor, fromCallback, fromPromise, waitFor } from "xstate";
import { ManualClock } from "../../lib/clock";
import type { AccountFillRecord } from "../../store/ports";
import type { FillInput, MarketRisk, PersistedAccount, TrackerFeedItem } from "./account.events";
import { trackerMachine, type RefreshRequest } from "./tracker.machine";

const ETH: MarketRisk = { marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, mmfBp: 120, closeoutBp: 80 };
const T0 = 1_700_000_000_000;

const fill = (accountId: number, tradeId: number, isBuy: boolean, size: number): FillInput => ({
  accountId, marketId: 0, tradeId, ts: T0 + tradeId, isBuy, role: isBuy ? "taker" : "maker", price: 300_000, size, kind: "trade", feeRate: 0,
  before: null, receivedAt: T0 + tradeId,
});

/** A tracker with a recording refresher and restore. */
function start(opts: { persisted?: PersistedAccount[]; configured?: number[]; streamBudget?: number } = {}) {
  const clock = new ManualClock(T0);
  const requests: RefreshRequest[] = [];
  const logic = trackerMachine.provide({
    actors: {
      restore: fromPromise<PersistedAccount[], { shard: number }>(async () => opts.persisted ?? []),
      refresher: fromCallback<RefreshRequest, { shard: number }>(({ receive }) => {
        receive((e) => requests.push(e));
        return () => {};
      }),
    },
  });
  const actor = createActor(logic, {
    clock,
    input: { venue: "test", shard: 0, maxAccounts: 3, configured: opts.configured ?? [], streamBudget: opts.streamBudget ?? 1, refreshBatch: 10, refreshMaxAgeMs: 60_000 },
  });
  const fills: AccountFillRecord[] = [];
  const streams: { add: number[]; remove: number[] }[] = [];
  actor.on("fills.observed", (e) => fills.push(...e.rows));
  actor.on("stream.changed", (e) => streams.push({ add: e.add, remove: e.remove }));
  actor.start();
  actor.send({ type: "markets.loaded", markets: [ETH] });
  actor.send({ type: "feed.mark", marketId: 0, mark: 300_000, index: null, ts: T0 });
  return { actor, clock, requests, fills, streams };
}

describe("AccountTracker machine", () => {
  test("trade fills discover accounts (up to the shard's capacity), are emitted for the store, and ask for snapshots", async () => {
    const { actor, requests, fills } = start();
    actor.send({ type: "feed.fills", fills: [fill(1, 1, true, 10_000), fill(2, 1, false, 10_000), fill(3, 2, true, 1), fill(4, 2, false, 1)] });
    expect(fills.map((f) => [f.accountId, f.side])).toEqual([[1, "buy"], [2, "sell"], [3, "buy"]]);
    expect(requests).toEqual([{ type: "refresh", ids: [1, 2, 3], priority: 1 }]);
    expect(actor.getSnapshot().context.book.size).toBe(3);
    await waitFor(actor, (s) => s.matches("running"));
  });

  test("a liquidation of an account asks for its snapshot urgently; answers clear the request", () => {
    const { actor, requests } = start();
    actor.send({ type: "feed.fills", fills: [{ ...fill(5, 1, false, 100), kind: "liquidation", role: "taker" }] });
    expect(requests.at(-1)).toEqual({ type: "refresh", ids: [5], priority: 0 });
    actor.send({ type: "rest.notFound", accountId: 5, ts: T0 + 10 });
    expect(actor.getSnapshot().context.inflight.size).toBe(0);
    expect(actor.getSnapshot().context.book.accounts.get(5)!.missing).toBe(true);
  });

  test("a batch of feed events is applied in order in one step: the same book and fills as one by one, one emit, one request per priority", () => {
    const items: TrackerFeedItem[] = [
      { type: "feed.fills", fills: [fill(1, 1, true, 10_000), fill(2, 1, false, 10_000)] },
      { type: "feed.mark", marketId: 0, mark: 310_000, index: 309_000, ts: T0 + 5 },
      { type: "feed.fills", fills: [fill(1, 6, false, 4_000), { ...fill(2, 6, true, 10_000), kind: "liquidation", role: "taker" }] },
      { type: "feed.funding", marketId: 0, ts: T0 + 7, rate4: 12, index: 309_500 },
    ];
    const single = start();
    for (const item of items) single.actor.send(item);
    const batched = start();
    let emits = 0;
    batched.actor.on("fills.observed", () => emits++);
    batched.actor.send({ type: "feed.batch", items });

    expect(batched.fills).toEqual(single.fills);
    expect(batched.fills).toHaveLength(4);
    expect(emits).toBe(1);
    const book = (t: ReturnType<typeof start>) => t.actor.getSnapshot().context.book;
    expect([...book(batched).accounts.values()]).toEqual([...book(single).accounts.values()]);
    // Urgent first (the liquidated account), then the discovered one not already asked for.
    expect(batched.requests).toEqual([{ type: "refresh", ids: [2], priority: 0 }, { type: "refresh", ids: [1], priority: 1 }]);
    expect(new Set(batched.requests.flatMap((r) => r.ids))).toEqual(new Set(single.requests.flatMap((r) => r.ids)));
  });

  test("restores persisted accounts, then every sweep refreshes stale ones and follows the largest on the account channel", async () => {
    const persisted: PersistedAccount[] = [10, 11].map((id) => ({
      id, l1Address: null, collateral: 1_000_000_000, firstSeen: T0 - 1, syncedAt: T0 - 1, updatedAt: T0 - 1,
      positions: [{ marketId: 0, size: id === 11 ? 30_000 : 10_000, entryQuote: 0, imfBp: 500, realizedPnl: 0, fundingPaid: 0, marginMode: 0, allocatedMargin: 0 }],
    }));
    const { actor, clock, requests, streams } = start({ persisted });
    await waitFor(actor, (s) => s.matches("running"));
    expect(actor.getSnapshot().context.book.size).toBe(2);
    clock.advance(5_000);
    // Restored accounts are due for a resync: asked for in the background.
    expect(requests.at(-1)).toEqual({ type: "refresh", ids: [10, 11], priority: 2 });
    expect(streams).toEqual([{ add: [11], remove: [] }]);
  });
});
