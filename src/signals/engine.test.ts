import { describe, expect, test } from "bun:test";
import { createActorSystem } from "../actors/system";
import { marketMachine } from "../actors/market/market.machine";
import { signalMachine } from "../actors/signal/signal.machine";
import { ManualClock } from "../lib/clock";
import { silentLogger } from "../lib/log";
import type { MarketInfo } from "../market/live";
import type { SignalDefinition, SignalFiring, SignalRule } from "../domain/signals/rule";
import type { TradeRecord } from "../store/ports";
import { createSignalEngine } from "./engine";

const T0 = 1_767_225_600_000;
const MARKET: MarketInfo = {
  venue: "lighter", marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, status: "active",
  minInitialMarginFraction: 200, maintenanceMarginFraction: 120, closeoutMarginFraction: 80,
};

function world(machine?: typeof signalMachine) {
  const clock = new ManualClock(T0);
  const log = silentLogger();
  const system = createActorSystem({ clock, log });
  const fired: SignalFiring[] = [];
  const engine = createSignalEngine({ clock, log, system, machine, onFire: (f) => void fired.push(f) });
  const market = () =>
    system.spawn("market:0", marketMachine, {
      input: { venue: "lighter", marketId: 0, priceDecimals: 2, sizeDecimals: 4 },
      wire: (ref) => engine.attach(ref, MARKET),
    }).ref;
  let tradeId = 0;
  const trade = (actor: ReturnType<typeof market>, price: number, size = 10_000) => {
    const t: TradeRecord = { venue: "lighter", marketId: 0, tradeId: ++tradeId, ts: clock.now(), price, size, isMakerAsk: true, askAccountId: 1, bidAccountId: 2, kind: "trade" };
    actor.send({ type: "feed.trades", trades: [t] });
    settle();
  };
  /** Firings reach onFire on the next clock turn, at the same virtual time. */
  const settle = () => clock.advance(0);
  return { clock, system, engine, fired, market, trade, settle };
}

const def = (id: string, rule: SignalRule, cooldownSecs = 60, extra: Partial<SignalDefinition> = {}): SignalDefinition => ({
  id, venue: "lighter", marketId: 0, rule, cooldownSecs, enabled: true, lastFiredAt: null, ...extra,
});
const above = (value: number | string): SignalRule => ({ logic: "AND", conditions: [{ field: "trade_price", op: "gt", value }] });

describe("signal engine on a real MarketActor", () => {
  test("fires on trades, then honours the cooldown on the injected clock", () => {
    const w = world();
    w.engine.upsert(def("sig_a", above(3000)));
    const actor = w.market();
    w.trade(actor, 299_999);
    w.trade(actor, 300_001); // 3000.01 > 3000
    expect(w.fired).toEqual([{ signalId: "sig_a", venue: "lighter", marketId: 0, ts: T0, values: { trade_price: "3000.01" } }]);
    w.clock.advance(59_999);
    w.trade(actor, 300_002);
    expect(w.fired).toHaveLength(1);
    w.clock.advance(1);
    w.trade(actor, 300_003);
    expect(w.fired.map((f) => f.values.trade_price)).toEqual(["3000.01", "3000.03"]);
    expect(w.engine.stats()).toMatchObject({ signals: 1, firings: 2 });
  });

  test("a trade batch fires at the trade that crosses, with that trade's time and price; the rest is only recorded", () => {
    const w = world();
    w.engine.upsert(def("sig_x", { logic: "AND", conditions: [{ field: "trade_price", op: "crosses_above", value: 3000 }] }, 0));
    const actor = w.market();
    w.trade(actor, 299_000);
    const t = (id: number, price: number) => ({ venue: "lighter", marketId: 0, tradeId: 100 + id, ts: T0 + id, price, size: 1, isMakerAsk: true, askAccountId: 1, bidAccountId: 2, kind: "trade" as const });
    const before = w.engine.stats().recorded;
    actor.send({ type: "feed.trades", trades: [t(1, 299_500), t(2, 300_000), t(3, 300_050), t(4, 299_900), t(5, 300_100), t(6, 300_200)] });
    w.settle();
    expect(w.fired.map((f) => [f.ts, f.values.trade_price])).toEqual([[T0 + 3, "3000.50"], [T0 + 5, "3001.00"]]);
    expect(w.engine.stats().recorded - before).toBe(2); // 2995.00, and 3002.00 after the last crossing (3000.00 reaches the threshold)
  });

  test("a burst of firings leaves the market event at once and is delivered in chunks, each once", () => {
    const w = world();
    for (let i = 0; i < 600; i++) w.engine.upsert(def(`sig_${i}`, above(1000 + i), 60));
    const actor = w.market();
    const t = (id: number, price: number) => ({ venue: "lighter", marketId: 0, tradeId: id, ts: T0, price, size: 1, isMakerAsk: true, askAccountId: 1, bidAccountId: 2, kind: "trade" as const });
    actor.send({ type: "feed.trades", trades: [t(1, 300_000), t(2, 300_001)] });
    expect(w.fired).toHaveLength(0);
    expect(w.engine.stats().firings).toBe(600);
    w.settle();
    expect(w.fired).toHaveLength(600);
    expect(new Set(w.fired.map((f) => f.signalId)).size).toBe(600);
    expect(w.fired.every((f) => f.values.trade_price === "3000.00")).toBe(true);
    expect(w.system.get("signal:sig_0")!.ref.getSnapshot().value).toBe("cooldown");
  });

  test("firings already made are delivered across a replace and at stop", () => {
    const w = world();
    w.engine.upsert(def("sig_a", above(3000), 60));
    w.engine.upsert(def("sig_b", above(3000), 60));
    const actor = w.market();
    actor.send({ type: "feed.trades", trades: [{ venue: "lighter", marketId: 0, tradeId: 1, ts: T0, price: 300_100, size: 1, isMakerAsk: true, askAccountId: 1, bidAccountId: 2, kind: "trade" }] });
    w.engine.upsert(def("sig_a", above(4000), 60)); // edited before the firing was handed over
    w.engine.stop();
    expect(w.fired.map((f) => f.signalId).sort()).toEqual(["sig_a", "sig_b"]);
  });

  test("a stored last firing keeps the cooldown across a restart", () => {
    const w = world();
    w.engine.upsert(def("sig_a", above(3000), 60, { lastFiredAt: T0 - 30_000 }));
    const actor = w.market();
    w.trade(actor, 300_100);
    expect(w.fired).toHaveLength(0);
    w.clock.advance(30_000);
    w.trade(actor, 300_100);
    expect(w.fired).toHaveLength(1);
  });

  test("book fields: spread on every book change, depth within 1 % of the mid from the 1 s samples", () => {
    const w = world();
    w.engine.upsert(def("spread", { logic: "AND", conditions: [{ field: "orderbook_spread", op: "gte", value: "1.00" }] }, 0));
    // Bids within 1 % of mid 3000.50: 3000.00 (1.0) and 2971.00 (2.0; ≥ 2970.495); 2900.00 is outside.
    w.engine.upsert(def("depth", { logic: "AND", conditions: [{ field: "bid_depth", op: "eq", value: "8942.00" }] }, 0));
    const actor = w.market();
    actor.send({ type: "feed.snapshot", bids: [[300_000, 10_000], [297_100, 20_000], [290_000, 50_000]], asks: [[300_100, 10_000]], nonce: 1, ts: T0 });
    w.settle();
    expect(w.fired.map((f) => f.signalId)).toEqual(["spread"]);
    // The first sample, a second later: depth is known from then on.
    w.clock.advance(1000);
    expect(w.fired.map((f) => f.signalId)).toEqual(["spread", "depth"]);
    expect(w.fired[1]!.values).toEqual({ bid_depth: "8942.000000" });
    // The ask moves in: spread 0.50 no longer fires; depth is not re-read until the next sample.
    const evaluations = () => w.engine.stats().evaluations;
    const before = evaluations();
    actor.send({ type: "feed.delta", changes: [{ side: "ask", price: 300_050, size: 10_000 }], beginNonce: 1, nonce: 2, ts: T0 + 1000 });
    w.settle();
    expect(evaluations() - before).toBe(1);
    expect(w.fired).toHaveLength(2);
    // A bid leaves the band: the next sample's depth is 3000.00 only.
    actor.send({ type: "feed.delta", changes: [{ side: "bid", price: 297_100, size: 0 }], beginNonce: 2, nonce: 3, ts: T0 + 1100 });
    w.settle();
    w.clock.advance(1000);
    expect(w.fired).toHaveLength(2);
  });

  test("funding settlements and heatmap totals", () => {
    const w = world();
    w.engine.upsert(def("f", { logic: "AND", conditions: [{ field: "funding_rate", op: "lt", value: "-0.001" }] }), MARKET);
    w.engine.upsert(def("h", { logic: "OR", conditions: [{ field: "heatmap_short_at_risk", op: "crosses_above", value: 1_000_000 }, { field: "heatmap_long_at_risk", op: "gt", value: 5e6 }] }), MARKET);
    const actor = w.market();
    actor.send({ type: "feed.funding", funding: { venue: "lighter", marketId: 0, ts: T0, rate: "-0.0012", markPrice: 300_000, indexPrice: 300_000 } });
    w.settle();
    w.engine.heatmap("lighter", 0, { long: "10", short: "999999.999999" }, T0 + 1);
    w.settle();
    w.engine.heatmap("lighter", 0, { long: "10", short: "1000000.000001" }, T0 + 2);
    w.settle();
    expect(w.fired.map((f) => [f.signalId, f.ts])).toEqual([["f", T0], ["h", T0 + 2]]);
    expect(w.fired[1]!.values).toEqual({ heatmap_short_at_risk: "1000000.000001", heatmap_long_at_risk: "10" });
  });

  test("a signal loaded before its market waits for the decimals; replace and remove take effect", () => {
    const w = world();
    w.engine.upsert(def("sig_a", above(3000), 0));
    expect(w.system.get("signal:sig_a")).toBeUndefined();
    const actor = w.market();
    expect(w.system.get("signal:sig_a")!.ref.getSnapshot().value).toBe("armed");
    w.trade(actor, 300_100);
    w.engine.upsert(def("sig_a", above(4000), 0));
    w.trade(actor, 300_200);
    expect(w.fired).toHaveLength(1);
    w.engine.upsert(def("sig_a", above(3000), 0, { enabled: false }));
    expect(w.system.get("signal:sig_a")).toBeUndefined();
    w.trade(actor, 300_300);
    w.engine.upsert(def("sig_b", above(3000), 0));
    w.engine.remove("sig_b");
    w.trade(actor, 300_400);
    expect(w.fired).toHaveLength(1);
    expect(w.engine.stats().signals).toBe(0);
  });

  test("a SignalActor restarted by the supervisor while its firing is queued does not fire twice", () => {
    // A SignalActor that crashes on `signal.disable` (fault injection): the supervisor restarts it from its input.
    const fragile = signalMachine.provide({
      actions: {
        announceDisabled: () => {
          throw new Error("injected crash");
        },
      },
    });
    const w = world(fragile);
    w.engine.upsert(def("sig_a", above(3000), 60));
    const actor = w.market();
    // A trade stamped an hour ago (a backfilled one): the firing's event time is far behind the clock.
    const old = { venue: "lighter", marketId: 0, tradeId: 1, ts: T0 - 3_600_000, price: 300_100, size: 1, isMakerAsk: true, askAccountId: 1, bidAccountId: 2, kind: "trade" as const };
    actor.send({ type: "feed.trades", trades: [old] });
    const supervised = w.system.get("signal:sig_a")!;
    supervised.ref.send({ type: "signal.disable" }); // crashes before the queued firing is handed over
    expect(supervised.restarts).toBe(1);
    w.trade(actor, 300_200); // the rule still holds: the restarted actor must not have re-armed the signal
    expect(w.fired.map((f) => f.ts)).toEqual([T0 - 3_600_000]);
    expect(supervised.ref.getSnapshot().value).toBe("cooldown");
    w.clock.advance(59_999);
    w.trade(actor, 300_300);
    expect(w.fired).toHaveLength(1);
    w.clock.advance(1); // the cooldown counted from the firing on the clock, across the restart
    w.trade(actor, 300_400);
    expect(w.fired.map((f) => f.values.trade_price)).toEqual(["3001.00", "3004.00"]);
  });

  test("a MarketActor restart keeps the signals evaluating", () => {
    const w = world();
    w.engine.upsert(def("sig_a", above(3000), 0));
    w.market();
    w.system.stop("market:0");
    const again = w.market();
    w.trade(again, 300_100);
    expect(w.fired).toHaveLength(1);
  });
});
