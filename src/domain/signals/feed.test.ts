import { describe, expect, test } from "bun:test";
import { compileRule } from "./compile";
import { MarketEvaluator, type EvalSignal } from "./evaluator";
import { feedBook, feedTrades, type TradeTicks } from "./feed";
import { FIELD_INDEX as F, keyOfNotional, keyOfTicks } from "./fields";
import type { SignalRule } from "./rule";

const MARKET = { priceDecimals: 2, sizeDecimals: 2 };

/** The per-trade semantics spelled out with the evaluator's general entry points: one event per trade. */
function exactTrade(ev: MarketEvaluator, t: TradeTicks): void {
  ev.begin();
  ev.set(F.trade_price, keyOfTicks(t.price), t.price);
  ev.set(F.trade_size, keyOfTicks(t.size), t.size);
  ev.set(F.trade_notional, keyOfNotional(t.price, t.size, 4), t.price * t.size);
  ev.close(t.ts);
}

/** An evaluator recording firings as "ts:id values"; `rearm` re-arms inside the firing (cooldown 0). */
function harness(rearm = true) {
  const fired: string[] = [];
  const ev: MarketEvaluator = new MarketEvaluator(MARKET, (s, ts) => {
    fired.push(`${ts}:${s.id} ${JSON.stringify(ev.values(s))}`);
    if (rearm) ev.arm(s);
  });
  const add = (id: string, rule: SignalRule) => ev.add(id, compileRule(rule), true);
  return { ev, fired, add };
}

/** Trades at prices (2 decimals), size 1, ts from `ts0` on. */
const batch = (prices: number[], ts0 = 0): TradeTicks[] => prices.map((p, i) => ({ ts: ts0 + i, price: Math.round(p * 100), size: 100 }));
const price = (field: "trade_price", op: SignalRule["conditions"][number]["op"], value: string): SignalRule => ({ logic: "AND", conditions: [{ field, op, value }] });

describe("trade batches: quiet runs are recorded, the trade leaving the window is evaluated", () => {
  test("the window left by the k-th trade: it fires with its own time and values; the others are only recorded", () => {
    const { ev, fired, add } = harness();
    add("gt", price("trade_price", "gt", "100"));
    feedTrades(ev, batch([99]));
    const before = ev.recorded;
    feedTrades(ev, batch([99.1, 99.2, 101, 99.3, 99.4], 10));
    expect(fired).toEqual(['12:gt {"trade_price":"101.00"}']);
    // 99.1, 99.2 recorded; 101 fires (the signal is then ready: 99.3 is evaluated); 99.4 recorded.
    expect(ev.recorded - before).toBe(3);
    expect(ev.evaluations).toBe(6);
  });

  test("crossings use each trade's previous value, also when the window is left by the last trade", () => {
    const { ev, fired, add } = harness();
    add("xa", price("trade_price", "crosses_above", "100"));
    feedTrades(ev, batch([99.5]));
    feedTrades(ev, batch([99.6, 99.9, 100, 100.01], 10)); // 100 → 100.01 crosses; 99.9 → 100 does not
    expect(fired).toEqual(['13:xa {"trade_price":"100.01"}']);
    feedTrades(ev, batch([100.5, 100.4, 99.99, 100.02], 20)); // the last trade crosses again
    expect(fired.slice(1)).toEqual(['23:xa {"trade_price":"100.02"}']);
  });

  test("a window left and re-entered in one batch: both crossings fire, the run between is recorded", () => {
    const { ev, fired, add } = harness();
    add("up", price("trade_price", "crosses_above", "105"));
    add("down", price("trade_price", "crosses_below", "105"));
    add("lo", price("trade_price", "lt", "95"));
    feedTrades(ev, batch([100]));
    const before = ev.recorded;
    feedTrades(ev, batch([101, 104, 106, 107, 104, 103, 100], 10));
    expect(fired).toEqual(['12:up {"trade_price":"106.00"}', '14:down {"trade_price":"104.00"}']);
    expect(ev.recorded - before).toBe(5); // 101, 104; 107 between the crossings; 103, 100 after (a crossing is never ready)
  });

  test("a signal armed while its rule holds fires at the first trade of the next batch", () => {
    const { ev, fired, add } = harness(false);
    const s: EvalSignal = add("gt", price("trade_price", "gt", "100"));
    feedTrades(ev, batch([99, 101, 102], 0));
    expect(fired).toEqual(['1:gt {"trade_price":"101.00"}']);
    ev.arm(s); // after its cooldown, while 102 > 100
    feedTrades(ev, batch([102.5, 103], 10));
    expect(fired.slice(1)).toEqual(['10:gt {"trade_price":"102.50"}']);
  });
});

describe("book changes: spread updates", () => {
  test("spreads inside the window are recorded; the one leaving it fires with its time", () => {
    const { ev, fired, add } = harness();
    add("wide", { logic: "AND", conditions: [{ field: "orderbook_spread", op: "gte", value: "0.05" }] });
    feedBook(ev, 0, 10000, 10001, null);
    const before = ev.recorded;
    for (const [ts, spread] of [[1, 2], [2, 4], [3, 3], [4, 5], [5, 1]] as const) feedBook(ev, ts, 10000, 10000 + spread, null);
    expect(fired).toEqual(['4:wide {"orderbook_spread":"0.05"}']);
    expect(ev.recorded - before).toBe(3); // 2, 4, 3 recorded; 5 fires; 1 re-checks the ready signal
  });
});

describe("against the per-trade evaluation", () => {
  test("random batches give the same firings, values and counts as one event per trade", () => {
    let seed = 777;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const OPS = ["gt", "lt", "gte", "lte", "eq", "ne", "crosses_above", "crosses_below"] as const;
    const VALUES = { trade_price: ["0.97", "1", "1.005", "1.03"], trade_size: ["1", "1.5", "2.01"], trade_notional: ["1", "1.5", "2.0301"], orderbook_spread: ["0.02"] } as const;
    let recorded = 0;
    for (let scenario = 0; scenario < 60; scenario++) {
      const worlds = [harness(false), harness(false)];
      const rearm = new Map<string, number>();
      const slots: EvalSignal[][] = [[], []];
      for (let k = 0; k < 12; k++) {
        const n = 1 + Math.floor(rand() * 3);
        const rule: SignalRule = { logic: rand() < 0.5 ? "AND" : "OR", conditions: Array.from({ length: n }, () => { const field = pick(Object.keys(VALUES) as Array<keyof typeof VALUES>); return { field, op: pick(OPS), value: pick(VALUES[field]) }; }) };
        worlds.forEach((w, i) => slots[i]!.push(w.add(`s${k}`, rule)));
        rearm.set(`s${k}`, Math.floor(rand() * 3));
      }
      let ts = 0;
      for (let b = 0; b < 80; b++) {
        const trades = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => ({
          ts: ts++, price: rand() < 0.8 ? 99 + Math.floor(rand() * 3) : 95 + Math.floor(rand() * 10), size: 100 + Math.floor(rand() * 3) * 50 + (rand() < 0.1 ? 1 : 0),
        }));
        feedTrades(worlds[0]!.ev, trades);
        for (const t of trades) exactTrade(worlds[1]!.ev, t);
        if (rand() < 0.2) {
          const ask = 101 + Math.floor(rand() * 3);
          worlds.forEach((w) => feedBook(w.ev, ts, 100, ask, null));
        }
        // Between batches, signals re-arm after their "cooldown" (in batches).
        worlds.forEach((w, i) => slots[i]!.forEach((s, k) => { if ((b + k) % (1 + rearm.get(s.id)!) === 0) w.ev.arm(s); }));
      }
      expect(worlds[0]!.fired).toEqual(worlds[1]!.fired);
      expect(worlds[0]!.ev.evaluations).toBe(worlds[1]!.ev.evaluations);
      expect(worlds[0]!.ev.checks).toBe(worlds[1]!.ev.checks);
      recorded += worlds[0]!.ev.recorded;
    }
    expect(recorded).toBeGreaterThan(1000); // the quiet path was taken
  });
});
