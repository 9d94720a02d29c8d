import { afterEach, describe, expect, test } from "bun:test";
import { createActorSystem } from "../actors/system";
import { ManualClock } from "../lib/clock";
import { silentLogger } from "../lib/log";
import type { Store } from "../store";
import { openSqliteStore } from "../store/sqlite";
import type { AccountFillRecord } from "../store/ports";
import type { ClientTrade, LighterEvent, MarketInfo } from "../venues/lighter/events";
import type { WsAccountAllFrameIn } from "../venues/lighter/protocol";
import { marketStats, trade } from "../../test/fixtures/lighter-frames";
import { createAccountTracking } from "./account-tracking";

const T0 = 1_777_945_103_092;
const eth: MarketInfo = {
  marketId: 0, symbol: "ETH", marketType: "perp", status: "active", priceDecimals: 2, sizeDecimals: 4, quoteDecimals: 6,
  minBaseAmount: "0.0050", minQuoteAmount: "10.000000", takerFee: "0.0000", makerFee: "0.0000", maintenanceMarginFraction: 120, closeoutMarginFraction: 80,
};

/** A trade of 1 ETH at 3000.00: account 10 buys (taker), account 11 sells (maker). */
const buy: ClientTrade = {
  id: 1, marketId: 0, price: 300_000, size: 10_000, priceText: "3000.00", sizeText: "1.0000", usdAmount: "3000.000000", takerSide: "buy",
  kind: "trade", liquidation: false, askAccountId: 11, bidAccountId: 10, timestamp: T0, blockHeight: 1,
  raw: trade(1, 0, "3000.00", "1.0000", { ask_account_id: 11, bid_account_id: 10, is_maker_ask: true, timestamp: T0 }),
};
const emptyAccount = (id: number): WsAccountAllFrameIn =>
  ({ type: "update/account_all", channel: `account_all:${id}`, account: id, positions: {}, trades: {}, funding_histories: {}, shares: [] }) as unknown as WsAccountAllFrameIn;

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function setup() {
  const clock = new ManualClock(T0);
  store = await openSqliteStore({ path: ":memory:" });
  await store.migrate();
  const fills: AccountFillRecord[] = [];
  const tracking = createAccountTracking({
    venue: "lighter", system: createActorSystem({ clock, log: silentLogger() }), clock, log: silentLogger(),
    recorder: { recordFills: (rows) => void fills.push(...rows) }, store: store.accounts,
    rest: { account: () => Promise.reject(new Error("offline")), accountActiveOrders: () => Promise.reject(new Error("offline")) },
    stream: { trackAccount: () => {}, untrackAccount: () => {} },
    shards: 2, maxAccounts: 100, streamMax: 0, configured: [], refreshPerMinute: 60, refreshMaxAgeMs: 60_000, maxOrders: 10,
  });
  const position = (id: number) => {
    for (const book of tracking.books()) {
      const acct = book.accounts.get(id);
      if (acct) return acct.positions.get(0)?.size ?? 0;
    }
    return undefined;
  };
  return { tracking, fills, position };
}

const markets: LighterEvent = { type: "markets", markets: [eth] };
const stats: LighterEvent = { type: "stats", marketId: 0, stats: marketStats(0, T0 - 3_600_000), ts: T0 };
const trades: LighterEvent = { type: "trades", marketId: 0, trades: [buy], source: "update" };
const account10: LighterEvent = { type: "account", accountId: 10, snapshot: false, account: emptyAccount(10), ts: T0 + 1 };

describe("account tracking: feed events per shard", () => {
  test("one call's events reach each shard in arrival order: fills discover accounts in both shards", async () => {
    const t = await setup();
    t.tracking.onEvents([markets, stats, trades]);
    expect(t.fills.map((f) => [f.accountId, f.side])).toEqual([[10, "buy"], [11, "sell"]]);
    expect(t.position(10)).toBe(10_000);
    expect(t.position(11)).toBe(-10_000);
    t.tracking.stop();
  });

  test("order within a call decides: an account snapshot after the fill replaces it, one before it does not", async () => {
    const after = await setup();
    after.tracking.onEvents([markets, stats, trades, account10]);
    expect(after.position(10)).toBe(0);
    after.tracking.stop();
    await store?.close();
    const before = await setup();
    before.tracking.onEvents([markets, stats, account10, trades]);
    expect(before.position(10)).toBe(10_000);
    before.tracking.stop();
  });
});
