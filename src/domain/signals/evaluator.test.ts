import { describe, expect, test } from "bun:test";
import { compileRule } from "./compile";
import { MarketEvaluator, type EvalSignal } from "./evaluator";
import { feedBook, feedFunding, feedHeatmap, feedTrade } from "./feed";
import type { SignalCondition, SignalOp, SignalRule } from "./rule";

const MARKET = { priceDecimals: 2, sizeDecimals: 4 };

/** An evaluator whose signals re-arm at once (every true event fires), recording firings. */
function harness(rearm = true) {
  const fired: Array<{ id: string; ts: number }> = [];
  const ev: MarketEvaluator = new MarketEvaluator(MARKET, (s, ts) => {
    fired.push({ id: s.id, ts });
    if (rearm) ev.arm(s);
  });
  const add = (id: string, rule: SignalRule) => ev.add(id, compileRule(rule), true);
  return { ev, fired, add, ids: () => fired.map((f) => f.id) };
}

/** Trade at a price (2 decimals), size 1; ts = the price so firings name the event. */
const trades = (ev: MarketEvaluator, prices: number[]) => prices.forEach((p, i) => feedTrade(ev, i, Math.round(p * 100), 10000));

// Prices 99, 100, 101, 100, 99 against 100: which events (by index) make each op true.
const CASES: Array<[SignalOp, number[]]> = [
  ["gt", [2]],
  ["gte", [1, 2, 3]],
  ["lt", [0, 4]],
  ["lte", [0, 1, 3, 4]],
  ["eq", [1, 3]],
  ["ne", [0, 2, 4]],
  // previous ≤ 100 < current: 100 → 101 only (99 → 100 is not above 100).
  ["crosses_above", [2]],
  // previous ≥ 100 > current: 100 → 99 only.
  ["crosses_below", [4]],
];

describe("every operator, by the threshold index and by the general path", () => {
  for (const [op, expected] of CASES) {
    test(`${op} 100 over 99, 100, 101, 100, 99`, () => {
      const { ev, fired, add } = harness();
      const c: SignalCondition = { field: "trade_price", op, value: 100 };
      add("single", { logic: "AND", conditions: [c] });
      // An OR with a condition that never holds takes the general (multi-condition) path.
      add("general", { logic: "OR", conditions: [c, { field: "trade_size", op: "lt", value: 0 }] });
      trades(ev, [99, 100, 101, 100, 99]);
      expect(fired.filter((f) => f.id === "single").map((f) => f.ts)).toEqual(expected);
      expect(fired.filter((f) => f.id === "general").map((f) => f.ts)).toEqual(expected);
    });
  }
});

describe("crossings", () => {
  test("no previous value, no cross; equal to the value is not above it", () => {
    const { ev, add, ids } = harness();
    add("x", { logic: "AND", conditions: [{ field: "trade_price", op: "crosses_above", value: "100" }] });
    trades(ev, [101]); // first value: nothing to cross from
    expect(ids()).toEqual([]);
    trades(ev, [100, 100]); // 101 → 100 → 100: never above
    expect(ids()).toEqual([]);
    trades(ev, [100.01]); // 100 → 100.01: previous ≤ 100 < current
    expect(ids()).toEqual(["x"]);
  });

  test("a signal added later does not cross from a value it never saw", () => {
    const { ev, add, ids } = harness();
    trades(ev, [99]);
    add("late", { logic: "AND", conditions: [{ field: "trade_price", op: "crosses_above", value: 100 }] });
    trades(ev, [101]);
    expect(ids()).toEqual([]);
    trades(ev, [99, 101]);
    expect(ids()).toEqual(["late"]);
  });

  test("crosses_below mirrors crosses_above at the boundary", () => {
    const { ev, add, ids } = harness();
    add("x", { logic: "AND", conditions: [{ field: "trade_price", op: "crosses_below", value: 100 }] });
    trades(ev, [101, 100, 99.99]); // 101 → 100 is not below; 100 → 99.99 is
    expect(ids()).toEqual(["x"]);
  });
});

describe("logic", () => {
  test("AND keeps the last value of fields the event did not update", () => {
    const { ev, add, fired } = harness();
    add("both", { logic: "AND", conditions: [{ field: "trade_price", op: "gt", value: 100 }, { field: "orderbook_spread", op: "lt", value: "0.05" }] });
    trades(ev, [101]); // spread never seen: false
    expect(fired).toHaveLength(0);
    feedBook(ev, 10, 10100, 10103, null); // spread 0.03 and the last trade 101 > 100
    expect(fired.map((f) => f.ts)).toEqual([10]);
    feedTrade(ev, 11, 10150, 1); // spread still 0.03
    feedTrade(ev, 12, 9900, 1); // price no longer > 100
    expect(fired.map((f) => f.ts)).toEqual([10, 11]);
  });

  test("OR fires when any condition holds", () => {
    const { ev, add, fired } = harness();
    add("any", { logic: "OR", conditions: [{ field: "funding_rate", op: "gt", value: "0.01" }, { field: "heatmap_long_at_risk", op: "gte", value: 1_000_000 }] });
    feedFunding(ev, 1, "0.0100");
    feedHeatmap(ev, 2, "999999.999999", "0");
    feedHeatmap(ev, 3, "1000000.000000", "0");
    feedFunding(ev, 4, "0.0100000001");
    expect(fired.map((f) => f.ts)).toEqual([3, 4]);
  });

  test("values name every field of the rule the signal saw, exactly", () => {
    const values: unknown[] = [];
    const ev: MarketEvaluator = new MarketEvaluator(MARKET, (s: EvalSignal) => void values.push(ev.values(s)));
    ev.add("n", compileRule({ logic: "AND", conditions: [{ field: "trade_notional", op: "gt", value: "3703.648139" }, { field: "bid_depth", op: "gte", value: 0 }] }), true);
    feedTrade(ev, 1, 300012, 12345); // 3703.648140; depth never seen yet
    feedBook(ev, 2, 300000, 300100, { bid: 300000n * 50000n, ask: 0n });
    expect(values).toEqual([{ trade_notional: "3703.648140", bid_depth: "15000.000000" }]);
  });
});

describe("lifecycle hooks", () => {
  test("a fired signal stays disarmed until armed again", () => {
    const { ev, add, ids } = harness(false);
    const s = add("x", { logic: "AND", conditions: [{ field: "trade_price", op: "gt", value: 100 }] });
    trades(ev, [101, 102]);
    expect(ids()).toEqual(["x"]);
    ev.arm(s);
    trades(ev, [103]);
    expect(ids()).toEqual(["x", "x"]);
    ev.remove(s);
    ev.arm(s); // arming a removed signal's slot again is the owner's bug; evaluation ignores the field now
    expect(ev.watches("trade_price")).toBe(false);
  });

  test("evaluates only signals watching an updated field", () => {
    const { ev, add } = harness();
    for (let i = 0; i < 100; i++) add(`p${i}`, { logic: "AND", conditions: [{ field: "trade_price", op: "gt", value: 1_000 + i }] });
    feedFunding(ev, 1, "0.01");
    expect(ev.evaluations).toBe(0);
    trades(ev, [10]);
    expect(ev.evaluations).toBe(100);
  });
});

describe("update ranges at the boundaries", () => {
  const single = (op: SignalOp, value: number | string = 100): SignalRule => ({ logic: "AND", conditions: [{ field: "trade_price", op, value }] });

  test("repeated equal values: level operators hold at every event, crossings never", () => {
    const { ev, add, fired } = harness();
    for (const op of ["gt", "gte", "lt", "lte", "eq", "ne", "crosses_above", "crosses_below"] as const) add(op, single(op));
    trades(ev, [100, 100, 100]);
    const at = (ts: number) => fired.filter((f) => f.ts === ts).map((f) => f.id).sort();
    for (const ts of [0, 1, 2]) expect(at(ts)).toEqual(["eq", "gte", "lte"]);
  });

  test("crossings from a previous value equal to the threshold", () => {
    const { ev, add, fired } = harness();
    add("up", single("crosses_above"));
    add("down", single("crosses_below"));
    trades(ev, [100, 101, 100, 99, 100, 100]);
    // 100 → 101 is above (previous ≤ 100 < current); 101 → 100 is not below; 100 → 99 is below.
    expect(fired.map((f) => `${f.ts}:${f.id}`)).toEqual(["1:up", "3:down"]);
  });

  test("a big jump crosses every threshold between the two values, once", () => {
    const { ev, add, fired } = harness();
    for (let i = 1; i <= 300; i++) {
      add(`above${i}`, single("crosses_above", i));
      add(`gt${i}`, single("gt", i));
      add(`below${i}`, single("crosses_below", i));
    }
    trades(ev, [0.5, 400, 400, 0.5]);
    const count = (prefix: string, ts: number) => fired.filter((f) => f.ts === ts && f.id.startsWith(prefix)).length;
    expect([count("above", 1), count("gt", 1), count("below", 1)]).toEqual([300, 300, 0]);
    expect([count("above", 2), count("gt", 2), count("below", 2)]).toEqual([0, 300, 0]);
    expect([count("above", 3), count("gt", 3), count("below", 3)]).toEqual([0, 0, 300]);
  });

  test("a signal armed while its rule holds is re-checked at the next event, which may make it false", () => {
    const { ev, add, ids } = harness(false);
    const s = add("x", single("gt"));
    trades(ev, [101]);
    trades(ev, [102]); // disarmed: the value is still above, nothing fires
    ev.arm(s);
    trades(ev, [99]); // armed while true, but the event takes the value below: no firing
    expect(ids()).toEqual(["x"]);
    trades(ev, [100.5]);
    expect(ids()).toEqual(["x", "x"]);
  });

  test("AND watches one false condition; the others changing back and forth cost nothing until it turns", () => {
    const { ev, add, fired } = harness();
    add("both", { logic: "AND", conditions: [{ field: "trade_size", op: "gt", value: 5 }, { field: "trade_price", op: "crosses_above", value: 100 }] });
    for (let i = 0; i < 20; i++) feedTrade(ev, i, 9_000, i % 2 === 0 ? 10_0000 : 1_0000); // price 90, size 10 / 1
    expect(fired).toHaveLength(0);
    feedTrade(ev, 20, 10_100, 6_0000); // crosses 100 with size 6 > 5
    feedTrade(ev, 21, 9_000, 6_0000);
    feedTrade(ev, 22, 10_100, 1_0000); // crosses again, but size 1
    expect(fired.map((f) => f.ts)).toEqual([20]);
  });

  test("checks follow the thresholds a move passes, not the signals watching the field", () => {
    const { ev, add } = harness(false);
    for (let i = 0; i < 10_000; i++) add(`p${i}`, single(i % 2 ? "gt" : "crosses_above", 1_000 + i));
    trades(ev, [500]);
    const before = ev.checks;
    trades(ev, [500.01, 500.02, 500, 1_000.5]); // the last move passes one threshold of each kind
    expect(ev.checks - before).toBeLessThan(10);
    expect(ev.evaluations).toBe(50_000);
  });
});

describe("against a naive reference evaluator", () => {
  // Random rules and events over a few fields with values near the thresholds (many equalities and
  // crossings); the naive reference re-evaluates every armed signal in full at every event, with
  // exact 18-decimal bigints, sharing no code with the evaluator.
  type Ref = { id: string; addedAt: number; rule: SignalRule; armed: boolean; armAt: number; rearm: number };
  const D = 10n ** 18n;
  const dec = (text: string) => {
    const [w, f = ""] = text.replace("-", "").split(".");
    const v = BigInt(w!) * D + BigInt(f.padEnd(18, "0"));
    return text.startsWith("-") ? -v : v;
  };
  const FIELDS = ["trade_price", "trade_size", "trade_notional", "orderbook_spread", "funding_rate"] as const;
  const OPS = ["gt", "lt", "gte", "lte", "eq", "ne", "crosses_above", "crosses_below"] as const;
  const VALUES: Record<(typeof FIELDS)[number], string[]> = {
    trade_price: ["0.98", "1", "1.005", "1.02"],
    trade_size: ["1", "1.5", "2.01"],
    trade_notional: ["1", "1.5", "2.0301"],
    orderbook_spread: ["0.01", "0.02", "0.015"],
    funding_rate: ["0", "-0.001", "0.0005"],
  };

  test("agrees on 80 random scenarios of 300 events", () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    for (let scenario = 0; scenario < 80; scenario++) {
      const ours: string[] = [];
      const theirs: string[] = [];
      const refs: Ref[] = [];
      const slots = new Map<string, EvalSignal>();
      const armAt = new Map<string, number>();
      let e = 0;
      const ev: MarketEvaluator = new MarketEvaluator({ priceDecimals: 2, sizeDecimals: 2 }, (s) => {
        ours.push(`${e}:${s.id}`);
        const r = refs.find((x) => x.id === s.id)!;
        if (r.rearm === 0) ev.arm(s);
        else armAt.set(s.id, e + r.rearm);
      });
      // History: per field, the list of (event, value) updates.
      const hist = new Map<string, Array<{ e: number; v: bigint }>>();
      for (e = 0; e < 300; e++) {
        if (e % 50 === 0) {
          for (let k = 0; k < 8; k++) {
            const n = 1 + Math.floor(rand() * 3);
            const rule: SignalRule = { logic: rand() < 0.5 ? "AND" : "OR", conditions: Array.from({ length: n }, () => { const field = pick(FIELDS); return { field, op: pick(OPS), value: pick(VALUES[field]) }; }) };
            const id = `s${e}_${k}`;
            refs.push({ id, addedAt: e, rule, armed: true, armAt: 0, rearm: Math.floor(rand() * 3) });
            slots.set(id, ev.add(id, compileRule(rule), true));
          }
        }
        for (const [id, at] of armAt) if (at < e) (ev.arm(slots.get(id)!), armAt.delete(id));
        for (const r of refs) if (!r.armed && r.armAt < e) r.armed = true;
        // One event: a trade, a book change or a funding settlement.
        const kind = rand();
        const updates: Array<[string, bigint]> = [];
        if (kind < 0.6) {
          const price = 95 + Math.floor(rand() * 10); // 0.95 … 1.04
          const size = 100 + Math.floor(rand() * 3) * 50 + (rand() < 0.2 ? 1 : 0); // 1.00, 1.50, 2.00 (+0.01)
          feedTrade(ev, e, price, size);
          updates.push(["trade_price", BigInt(price) * D / 100n], ["trade_size", BigInt(size) * D / 100n], ["trade_notional", BigInt(price * size) * D / 10_000n]);
        } else if (kind < 0.9) {
          const spread = 1 + Math.floor(rand() * 3);
          feedBook(ev, e, 100, 100 + spread, null);
          updates.push(["orderbook_spread", BigInt(spread) * D / 100n]);
        } else {
          const rate = pick(["0", "-0.001", "0.0005", "0.0004", "-0.002"]);
          feedFunding(ev, e, rate);
          updates.push(["funding_rate", dec(rate)]);
        }
        for (const [f, v] of updates) hist.set(f, [...(hist.get(f) ?? []), { e, v }]);
        const updated = new Set(updates.map(([f]) => f));
        for (const r of refs) {
          if (!r.armed || !r.rule.conditions.some((c) => updated.has(c.field))) continue;
          const results = r.rule.conditions.map((c) => {
            const seen = (hist.get(c.field) ?? []).filter((h) => h.e >= r.addedAt);
            const cur = seen[seen.length - 1];
            if (!cur) return false;
            const v = dec(String(c.value));
            switch (c.op) {
              case "gt": return cur.v > v;
              case "lt": return cur.v < v;
              case "gte": return cur.v >= v;
              case "lte": return cur.v <= v;
              case "eq": return cur.v === v;
              case "ne": return cur.v !== v;
              default: {
                const prev = seen[seen.length - 2];
                if (cur.e !== e || !prev) return false;
                return c.op === "crosses_above" ? prev.v <= v && v < cur.v : prev.v >= v && v > cur.v;
              }
            }
          });
          if (r.rule.logic === "AND" ? results.every(Boolean) : results.some(Boolean)) {
            theirs.push(`${e}:${r.id}`);
            if (r.rearm > 0) (r.armed = false), (r.armAt = e + r.rearm);
          }
        }
      }
      expect(ours.sort()).toEqual(theirs.sort());
      expect(ours.length).toBeGreaterThan(20);
    }
  });
});
