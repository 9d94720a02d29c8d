import { describe, expect, test } from "bun:test";
import { AccountBook } from "./account-book";
import { grossNotional, viewOf } from "./account-view";
import type { FillInput, MarketRisk } from "./account.events";

const ETH: MarketRisk = { marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, mmfBp: 120, closeoutBp: 80 };

function book(): AccountBook {
  const b = new AccountBook("test", 100);
  b.setMarkets([ETH]);
  b.setMark(0, 300_000, 300_000, 0);
  return b;
}

/** A buy (or sell) of `size` at `price` by account 7, with the position it had before. */
const fill = (tradeId: number, isBuy: boolean, size: number, price: number, before: { size: number; entryQuote: number } | null, receivedAt = tradeId): FillInput => ({
  accountId: 7, marketId: 0, tradeId, ts: tradeId, isBuy, role: "taker", price, size, kind: "trade", feeRate: 0,
  before: before && { ...before, imfBp: 500 }, receivedAt,
});
const snapshot = (collateral: number, size: number, entryQuote: number) => ({
  accountId: 7, l1Address: "0xAbC", collateral,
  positions: [{ marketId: 0, size, entryQuote, imfBp: 500, realizedPnl: 0, fundingPaid: 0, marginMode: 0 as const, allocatedMargin: 0 }],
});

describe("account book: fills against the venue's before-state", () => {
  test("a fill continuing our position moves it and books realised PnL to collateral", () => {
    const b = book();
    b.track(7, 0);
    b.applySnapshot(snapshot(1_000_000_000, 10_000, 3_000_000_000), 0, 0);
    const r = b.applyFills([fill(1, false, 5_000, 310_000, { size: 10_000, entryQuote: 3_000_000_000 })], true);
    expect(r.drifted).toEqual([]);
    expect(r.rows[0]).toMatchObject({ accountId: 7, side: "sell", realizedPnl: 50_000_000, fee: 0 });
    const acct = b.accounts.get(7)!;
    expect(acct.positions.get(0)).toMatchObject({ size: 5_000, entryQuote: 1_500_000_000, realizedPnl: 50_000_000 });
    expect(acct.collateral).toBe(1_050_000_000);
  });

  test("a fill already in the snapshot changes nothing; one from an unknown state is a drift", () => {
    const b = book();
    b.track(7, 0);
    b.applySnapshot(snapshot(1_000_000_000, 15_000, 4_500_000_000), 0, 0);
    // The snapshot was taken after buying 0.5 at 3000 on top of 1 ETH.
    const dup = b.applyFills([fill(1, true, 5_000, 300_000, { size: 10_000, entryQuote: 3_000_000_000 })], true);
    expect(dup.drifted).toEqual([]);
    expect(b.accounts.get(7)!.positions.get(0)!.size).toBe(15_000);
    const gap = b.applyFills([fill(2, true, 1_000, 300_000, { size: 20_000, entryQuote: 6_000_000_000 })], true);
    expect(gap.drifted).toEqual([7]);
    expect(b.accounts.get(7)!.positions.get(0)!.size).toBe(21_000);
    expect(b.accounts.get(7)!.needsSync).toBe(true);
  });

  test("a snapshot replays fills received since it was requested, once", () => {
    const b = book();
    b.track(7, 0);
    b.applySnapshot(snapshot(1_000_000_000, 10_000, 3_000_000_000), 0, 0);
    // Requested at t=100; one fill at t=150 raced the answer, which does not include it.
    b.applyFills([fill(150, true, 10_000, 300_000, { size: 10_000, entryQuote: 3_000_000_000 }, 150)], true);
    b.applySnapshot(snapshot(1_000_000_000, 10_000, 3_000_000_000), 100, 200);
    expect(b.accounts.get(7)!.positions.get(0)!.size).toBe(20_000);
    // A later snapshot that already includes it leaves it applied once.
    b.applySnapshot(snapshot(1_000_000_000, 20_000, 6_000_000_000), 100, 300);
    expect(b.accounts.get(7)!.positions.get(0)!.size).toBe(20_000);
  });

  test("funding estimates pay each position once per settlement, and flag a resync", () => {
    const b = book();
    b.track(7, 0);
    b.applySnapshot(snapshot(1_000_000_000, 20_000, 6_000_000_000), 0, 0);
    expect(b.applyFundingEstimate(0, 3_600_001, 12, 300_000)).toEqual([7]);
    expect(b.applyFundingEstimate(0, 3_600_001, 12, 300_000)).toEqual([]);
    expect(b.accounts.get(7)!.collateral).toBe(1_000_000_000 - 72_000);
    expect(b.accounts.get(7)!.needsSync).toBe(true);
  });
});

describe("account views", () => {
  test("value, PnL and a liquidation price from the book's marks; memoised until something changes", () => {
    const b = book();
    b.track(7, 0);
    b.applySnapshot(snapshot(500_000_000, 10_000, 3_000_000_000), 0, 0);
    const v = viewOf(b, b.accounts.get(7)!);
    expect(v.positions[0]).toMatchObject({ value: 3_000_000_000, unrealizedPnl: 0, sign: 1 });
    expect(v.positions[0]!.liquidationPrice).toBeCloseTo((500 - 3000) / (1 * (0.012 - 1)), 6);
    expect(viewOf(b, b.accounts.get(7)!)).toBe(v);
    b.setMark(0, 310_000, null, 1);
    const moved = viewOf(b, b.accounts.get(7)!);
    expect(moved).not.toBe(v);
    expect(moved.unrealizedPnl).toBe(100_000_000);
    expect(b.byL1("0xabc")).toEqual([7]);
    expect([...b.inMarket(0)]).toEqual([7]);
  });

  test("before the first snapshot an account has positions from its fills but no margin figures", () => {
    const b = book();
    b.applyFills([fill(1, true, 10_000, 300_000, { size: 0, entryQuote: 0 })], true);
    const v = viewOf(b, b.accounts.get(7)!);
    expect(v.positions).toHaveLength(1);
    expect(v.margin).toBeNull();
    expect(v.positions[0]!.liquidationPrice).toBeNull();
  });
});

describe("gross notional without the view", () => {
  test("equals the view's long + short notional: both sides, several markets, a coarse market, a market without a mark", () => {
    const BTC: MarketRisk = { marketId: 1, symbol: "BTC", priceDecimals: 1, sizeDecimals: 5, mmfBp: 120, closeoutBp: 80 };
    const FINE: MarketRisk = { marketId: 2, symbol: "FINE", priceDecimals: 6, sizeDecimals: 3, mmfBp: 120, closeoutBp: 80 }; // 9 decimals: rounded through BigInt
    const DARK: MarketRisk = { marketId: 3, symbol: "DARK", priceDecimals: 2, sizeDecimals: 2, mmfBp: 120, closeoutBp: 80 }; // no mark yet
    const b = new AccountBook("test", 100);
    b.setMarkets([ETH, BTC, FINE, DARK]);
    b.setMark(0, 300_000, 300_000, 0);
    b.setMark(1, 650_000, 650_000, 0);
    b.setMark(2, 1_234_567, 1_234_567, 0);
    const position = (marketId: number, size: number, entryQuote: number) => ({ marketId, size, entryQuote, imfBp: 500, realizedPnl: 0, fundingPaid: 0, marginMode: 0 as const, allocatedMargin: 0 });
    b.track(7, 0);
    b.applySnapshot({
      accountId: 7, l1Address: "0xAbC", collateral: 5_000_000_000,
      positions: [position(0, 12_345, 3_000_000_000), position(1, -7_777, 4_000_000_000), position(2, 123_457, 150_000_000), position(3, 500, 1_000_000)],
    }, 0, 0);
    const acct = b.accounts.get(7)!;
    const v = viewOf(b, acct);
    expect(v.longNotional).toBeGreaterThan(0);
    expect(v.shortNotional).toBeGreaterThan(0);
    expect(grossNotional(b, acct)).toBe(v.longNotional + v.shortNotional);
  });
});
