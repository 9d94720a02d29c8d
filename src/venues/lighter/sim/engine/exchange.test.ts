import { describe, expect, test } from "bun:test";
import { exactMargin } from "./accounts.ts";
import type { LevelTuple } from "./book.ts";
import type { BookDeltaEvent, SimEvent, SimTrade } from "./events.ts";
import { Exchange } from "./exchange.ts";
import { screenAllSoon } from "./liquidator.ts";
import { refreshPrices } from "./periodic.ts";

const START = Date.UTC(2026, 0, 5, 0, 0, 0);

/** Records events (the engine never mutates an event after emitting it). */
function record(ex: Exchange): SimEvent[] {
  const events: SimEvent[] = [];
  ex.on((e) => events.push(e));
  return events;
}

/** Total equity of the system: Σ collateral − Σ sign·entryQuote (independent of marks, as OI nets to 0). */
function equity(ex: Exchange): number {
  let e = 0;
  for (const a of ex.accounts.list) {
    e += a.collateral;
    for (const p of a.positions.values()) e -= Math.sign(p.size) * p.entryQuote;
  }
  return e;
}

describe("Exchange determinism", () => {
  test("the same seed produces the same first events, however time is advanced", () => {
    const a = new Exchange({ seed: 42, start: START, accounts: 300, rate: 400 });
    const b = new Exchange({ seed: 42, start: START, accounts: 300, rate: 400 });
    const ea = record(a);
    const eb = record(b);

    a.advanceTo(START + 20_000);
    for (let t = START; t < START + 20_000; t += 7) b.advanceTo(t);
    b.advanceTo(START + 20_000);

    expect(ea.length).toBeGreaterThan(2_000);
    expect(eb.slice(0, 2_000)).toEqual(ea.slice(0, 2_000));
    expect(eb).toEqual(ea);
  });

  test("a different seed produces different events", () => {
    const a = new Exchange({ seed: 1, start: START, accounts: 200 });
    const b = new Exchange({ seed: 2, start: START, accounts: 200 });
    const ea = record(a);
    const eb = record(b);
    a.advanceTo(START + 5_000);
    b.advanceTo(START + 5_000);
    expect(JSON.stringify(ea.slice(0, 50))).not.toEqual(JSON.stringify(eb.slice(0, 50)));
  });
});

describe("Exchange consistency", () => {
  // From 10 s before an hour to 10 s after the next one: two funding settlements.
  const from = START + 3_600_000 - 10_000;
  const ex = new Exchange({ seed: 9, start: from, accounts: 300, rate: 150 });
  const startBooks = new Map(ex.markets.map((m) => [m.spec.id, m.book.l2()]));
  const startNonces = new Map(ex.markets.map((m) => [m.spec.id, { nonce: m.nonce, offset: m.offset }]));
  const startEquity = equity(ex);
  const events = record(ex);
  ex.advanceTo(from + 3_600_000 + 20_000);

  test("each market's deltas chain: begin_nonce = previous nonce, nonces increase, offset +1", () => {
    for (const m of ex.markets) {
      let prev = startNonces.get(m.spec.id) as { nonce: number; offset: number };
      const deltas = events.filter((e): e is BookDeltaEvent => e.type === "book.delta" && e.marketId === m.spec.id);
      expect(deltas.length).toBeGreaterThan(100);
      let broken = 0;
      for (const d of deltas) {
        if (d.beginNonce !== prev.nonce || d.nonce <= prev.nonce || d.offset !== prev.offset + 1) broken++;
        prev = { nonce: d.nonce, offset: d.offset };
      }
      expect(broken).toBe(0);
    }
  });

  test("applying every delta to the starting book gives the engine's book (L2 deltas are exact)", () => {
    for (const m of ex.markets) {
      const start = startBooks.get(m.spec.id) as { asks: LevelTuple[]; bids: LevelTuple[] };
      const asks = new Map(start.asks);
      const bids = new Map(start.bids);
      for (const e of events) {
        if (e.type !== "book.delta" || e.marketId !== m.spec.id) continue;
        for (const [p, s] of e.asks) s === 0 ? asks.delete(p) : asks.set(p, s);
        for (const [p, s] of e.bids) s === 0 ? bids.delete(p) : bids.set(p, s);
      }
      const l2 = m.book.l2();
      expect([...asks.entries()].sort((x, y) => x[0] - y[0])).toEqual(l2.asks.map(([p, q]) => [p, q]));
      expect([...bids.entries()].sort((x, y) => y[0] - x[0])).toEqual(l2.bids.map(([p, q]) => [p, q]));
    }
  });

  test("L2 equals the aggregate of L3 and the book never crosses", () => {
    for (const m of ex.markets) {
      for (const isAsk of [true, false]) {
        const sums = new Map<number, number>();
        for (const o of m.book.l3(isAsk)) sums.set(o.price, (sums.get(o.price) ?? 0) + o.remaining);
        expect([...sums.entries()]).toEqual((isAsk ? m.book.l2().asks : m.book.l2().bids).map(([p, q]) => [p, q]));
      }
      expect(m.book.bestBid() as number).toBeLessThan(m.book.bestAsk() as number);
    }
  });

  test("resting orders belong to their owners' order sets", () => {
    for (const m of ex.markets) {
      for (const o of m.book.orders.values()) expect(ex.accounts.get(o.account)?.orders.has(o.orderIndex)).toBe(true);
    }
  });

  test("positions net to zero per market and open interest is the long side", () => {
    for (const m of ex.markets) {
      let net = 0;
      let longs = 0;
      for (const a of ex.accounts.list) {
        const size = a.positions.get(m.spec.id)?.size ?? 0;
        net += size;
        longs += Math.max(0, size);
      }
      expect(net).toBe(0);
      expect(m.openInterest).toBe(longs);
    }
  });

  test("money is conserved: equity changes only by fees (and micro-unit funding rounding)", () => {
    const trades = events.flatMap((e) => (e.type === "trades" ? [...e.trades, ...e.liquidationTrades] : [])) as SimTrade[];
    const fees = trades.reduce((sum, t) => sum + Math.round((t.quote * t.taker.feeRate) / 1e6) + Math.round((t.quote * t.maker.feeRate) / 1e6), 0);
    const payments = events.reduce((n, e) => n + (e.type === "funding" ? e.accounts : 0), 0);
    expect(Math.abs(equity(ex) - startEquity + fees)).toBeLessThanOrEqual(payments);
  });

  test("trade ids are unique and increasing; every trade is in the tape", () => {
    const ids = events.flatMap((e) => (e.type === "trades" ? [...e.trades, ...e.liquidationTrades].map((t) => t.tradeId) : []));
    let unordered = 0;
    for (let i = 1; i < ids.length; i++) if ((ids[i] as number) <= (ids[i - 1] as number)) unordered++;
    expect(unordered).toBe(0);
    const logged = ex.markets.reduce((n, m) => n + (ex.ledger.tradeIds.get(m.spec.id)?.size ?? 0), 0);
    expect(logged).toBe(ids.length);
  });

  test("funding settles every hour on every market", () => {
    const fundings = events.filter((e) => e.type === "funding");
    expect(fundings).toHaveLength(2 * ex.markets.length);
    for (const f of fundings) expect(f.time % 3_600_000).toBe(0);
    expect(ex.markets.every((m) => m.fundingTime === START + 2 * 3_600_000 + 1)).toBe(true);
  });
});

describe("liquidations", () => {
  test("a price crash through an account's level liquidates it with IOC fills reported as liquidation trades", () => {
    const ex = new Exchange({ seed: 5, start: START, accounts: 400, rate: 300 });
    const eth = ex.market(0)!;
    const longs = ex.accounts.traders.filter((a) => (a.positions.get(0)?.size ?? 0) > 0);
    expect(longs.length).toBeGreaterThan(0);
    const events = record(ex);

    eth.fair.shock(-0.35);
    refreshPrices(ex, eth);
    screenAllSoon(ex);
    ex.advanceTo(START + 10_000);

    const liquidated = new Set(events.filter((e) => e.type === "liquidation").map((e) => (e as { account: number }).account));
    expect(liquidated.size).toBeGreaterThan(0);
    const liqTrades = events.flatMap((e) => (e.type === "trades" ? e.liquidationTrades : []));
    expect(liqTrades.length).toBeGreaterThan(0);
    for (const t of liqTrades) {
      expect(["liquidation", "deleverage"]).toContain(t.type);
      expect(liquidated.has(t.taker.account)).toBe(true);
    }
    // Every liquidated long sold: the resting order was the bid.
    for (const t of liqTrades.filter((x) => x.type === "liquidation" && x.marketId === 0 && x.taker.sizeBefore > 0)) {
      expect(t.isMakerAsk).toBe(false);
    }
    for (const index of liquidated) {
      const acct = ex.accounts.get(index)!;
      expect(ex.ledger.liquidations.get(index)?.size).toBeGreaterThan(0);
      const m = exactMargin(acct, ex);
      const flat = [...acct.positions.values()].every((p) => p.size === 0);
      expect(flat || m.totalAssetValue >= m.maintenanceMarginRequirement || acct.collateral === 0).toBe(true);
    }
  });
});
