import { describe, expect, test } from "bun:test";
import { AccountBook } from "../actors/accounts/account-book";
import type { MarketRisk, PositionState } from "../actors/accounts/account.events";
import type { AccountView } from "../actors/accounts/account-view";
import { createBooksModel } from "../actors/accounts/books-model";
import { ManualClock } from "../lib/clock";
import { createLogger } from "../lib/log";
import { createMemoryCache } from "../store/memory/cache";
import { startAccountPublisher } from "./account-publisher";
import { createAccountReplica } from "./account-replica";
import { HEAD_TTL_MS, replicationKeys } from "./account-replication";

const V = "lighter";
const ETH: MarketRisk = { marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, mmfBp: 120, closeoutBp: 80 };
const BTC: MarketRisk = { marketId: 1, symbol: "BTC", priceDecimals: 1, sizeDecimals: 5, mmfBp: 120, closeoutBp: 80 };
const log = createLogger({ level: "error", sink: { write() {} } });
const pos = (marketId: number, size: number, entryQuote: number): PositionState => ({
  marketId, size, entryQuote, imfBp: 500, realizedPnl: 0, fundingPaid: 0, marginMode: 0, allocatedMargin: 0,
});

/** A leader with two shards of accounts publishing to a memory cache, and a replica reading it (rounds are driven by the tests: the timer interval is longer than any test). */
function setup() {
  const clock = new ManualClock(1_768_000_000_000);
  const cache = createMemoryCache(clock);
  const books = [0, 1].map(() => {
    const b = new AccountBook(V, 100);
    b.setMarkets([ETH, BTC]);
    b.setMark(0, 300_000, 299_900, clock.now());
    b.setMark(1, 950_000, null, clock.now());
    return b;
  });
  const leader = createBooksModel({ shards: 2, book: (k) => books[k] });
  const snapshot = (id: number, collateral: number, positions: PositionState[]) =>
    books[id % 2]!.applySnapshot({ accountId: id, l1Address: `0x${String(id).padStart(40, "a")}`, collateral, positions }, 0, clock.now());
  snapshot(10, 50_000_000_000, [pos(0, 20_000, 6_000_000_000), pos(1, -1_000, 9_000_000_000)]);
  snapshot(11, 2_000_000_000, [pos(0, -5_000, 1_500_000_000)]);
  books[0]!.setOrders(10, [{ id: "1", marketId: 0, isAsk: true, price: 310_000, size: 100, remaining: 50, type: "limit", reduceOnly: false, triggerPrice: 0, createdAt: 5 }], 1, clock.now());
  const publisher = startAccountPublisher({ venue: V, cache, clock, log, books: () => books, markets: () => [ETH, BTC], intervalMs: 1_000_000, fullEveryMs: 10_000, run: "r1" });
  const replica = createAccountReplica({ venue: V, cache, clock, log, pollMs: 250 });
  return { clock, cache, books, leader, publisher, replica, snapshot };
}

/** What the routes read of a view, leader and replica alike. */
const seen = (v: AccountView | undefined) => v && {
  collateral: v.account.collateral, l1: v.account.l1Address, orders: v.account.orders, margin: v.margin, health: v.health,
  positions: v.positions.map((p) => [p.marketId, p.sign, p.size, p.entryQuote, p.mark, p.value, p.unrealizedPnl, p.liquidationPrice]),
};

describe("account replica: a node without trackers serves the leader's published state", () => {
  test("before anything is published the replica is unavailable; after one round it equals the leader", async () => {
    const { leader, publisher, replica } = setup();
    await replica.poll();
    expect(replica.available).toBe(false);
    await publisher.publish();
    await replica.poll();
    expect(replica.available).toBe(true);
    for (const id of [10, 11]) expect(seen(replica.view(id))).toEqual(seen(leader.view(id)));
    expect(replica.view(10)?.margin).not.toBeNull();
    expect(replica.mark(0)).toBe(300_000);
    expect(replica.markets().map((m) => m.symbol)).toEqual(["ETH", "BTC"]);
    expect(replica.inMarket(0).map((v) => v.account.id).sort()).toEqual([10, 11]);
    expect(replica.byAddress(`0x${String(11).padStart(40, "a")}`).map((v) => v.account.id)).toEqual([11]);
    publisher.stop();
  });

  test("fills, new accounts and moved marks reach the replica in the next round; untouched accounts keep their views", async () => {
    const { books, leader, publisher, replica, snapshot, clock } = setup();
    await publisher.publish();
    await replica.poll();
    const untouched = replica.view(11);
    books[0]!.applyFills([{ accountId: 10, marketId: 0, tradeId: 1, ts: clock.now(), isBuy: false, role: "taker", price: 305_000, size: 5_000, kind: "trade", feeRate: 0, before: { size: 20_000, entryQuote: 6_000_000_000, imfBp: 500 }, receivedAt: clock.now() }], true);
    snapshot(13, 1_000_000_000, [pos(1, 2_000, 19_000_000_000)]);
    await publisher.publish();
    await replica.poll();
    expect(replica.view(11)).toBe(untouched!);
    for (const id of [10, 11, 13]) expect(seen(replica.view(id))).toEqual(seen(leader.view(id)));
    for (const b of books) b.setMark(1, 960_000, null, clock.now());
    await publisher.publish();
    await replica.poll();
    expect(replica.mark(1)).toBe(960_000);
    for (const id of [10, 13]) expect(seen(replica.view(id))).toEqual(seen(leader.view(id)));
    publisher.stop();
  });

  test("a missing delta or a new leader run makes the replica reload the full snapshot", async () => {
    const { books, cache, clock, leader, publisher, replica, snapshot } = setup();
    await publisher.publish();
    await replica.poll();
    snapshot(14, 3_000_000_000, [pos(0, 1_000, 300_000_000)]);
    await publisher.publish();
    await cache.del(replicationKeys.delta(V, "r1", replica.position()!.seq + 1));
    clock.advance(10_000);
    await publisher.publish(); // writes a new full snapshot, which includes account 14
    await replica.poll();
    expect(seen(replica.view(14))).toEqual(seen(leader.view(14)));
    publisher.stop();

    const next = startAccountPublisher({ venue: V, cache, clock, log, books: () => books, markets: () => [ETH, BTC], intervalMs: 1_000_000, fullEveryMs: 10_000, run: "r2" });
    snapshot(15, 3_000_000_000, [pos(0, -1_000, 300_000_000)]);
    await next.publish();
    await replica.poll();
    expect(replica.position()).toEqual({ run: "r2", seq: 1 });
    expect(seen(replica.view(15))).toEqual(seen(leader.view(15)));
    next.stop();
  });

  test("when no leader publishes for longer than the head's lifetime, the replica reports itself unavailable", async () => {
    const { clock, publisher, replica } = setup();
    await publisher.publish();
    await replica.poll();
    publisher.stop();
    clock.advance(HEAD_TTL_MS - 1);
    await replica.poll();
    expect(replica.available).toBe(true);
    clock.advance(2);
    await replica.poll();
    expect(replica.available).toBe(false);
  });
});
