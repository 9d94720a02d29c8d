/**
 * A realistic mix of signals for benchmarks: thresholds drawn around what the market actually did
 * (its traded prices, sizes, spreads), over every field and operator, single conditions mostly,
 * a share of 2–3 condition AND/OR rules, cooldowns from one minute to one hour. Size and notional
 * alerts mostly watch for large trades (top 10 % of sizes); a quarter of them take any size
 * quantile and operator. Deterministic.
 */
import type { MarketInput } from "../../src/actors/market/market.events";
import type { SignalCondition, SignalDefinition, SignalField, SignalOp } from "../../src/domain/signals/rule";

/** xorshift32: the same mix on every run. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export function buildSignals(
  n: number,
  inputs: readonly MarketInput[],
  market: { venue: string; marketId: number; priceDecimals: number; sizeDecimals: number },
  seed: number,
): SignalDefinition[] {
  const { venue, marketId } = market;
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const prices: number[] = [];
  const sizes: number[] = [];
  for (const x of inputs) if (x.type === "feed.trades") for (const t of x.trades) (prices.push(t.price), sizes.push(t.size));
  if (prices.length === 0) throw new Error("no trades to draw thresholds from");
  prices.sort((a, b) => a - b);
  sizes.sort((a, b) => a - b);
  // Thresholds in ticks, within ±1 % beyond the traded range: most signals are near the action.
  const lo = prices[0]! * 0.99;
  const hi = prices[prices.length - 1]! * 1.01;
  const price = () => Math.round(lo + rand() * (hi - lo));
  const quantile = (xs: number[]) => xs[Math.floor(rand() * xs.length)]!;
  // Size and notional alerts watch for large trades: thresholds from the top 10 % of sizes.
  const large = (xs: number[]) => xs[Math.floor((0.9 + 0.1 * rand()) * (xs.length - 1))]!;
  const bigOps: SignalOp[] = ["gt", "gte", "crosses_above"];
  const ops: SignalOp[] = ["gt", "lt", "gte", "lte", "crosses_above", "crosses_below"];
  // Values are strings in ticks × 10^-decimals; the engine converts with the market's decimals.
  const cond = (field: SignalField, op: SignalOp, value: string): SignalCondition => ({ field, op, value });
  const make = (pd: number, sd: number): (() => SignalCondition) => {
    const fmt = (ticks: number, d: number) => (ticks / 10 ** d).toFixed(d);
    return () => {
      const r = rand();
      if (r < 0.45) return cond("trade_price", pick(ops), fmt(price(), pd));
      if (r < 0.47) return cond("trade_price", pick(["eq", "ne"] as const), fmt(price(), pd));
      if (r < 0.53) return cond("trade_size", pick(bigOps), fmt(large(sizes), sd));
      if (r < 0.55) return cond("trade_size", pick(ops), fmt(quantile(sizes), sd));
      if (r < 0.63) return cond("trade_notional", pick(bigOps), String(Math.round((quantile(prices) * large(sizes)) / 10 ** (pd + sd))));
      if (r < 0.75) return cond("orderbook_spread", pick(ops), fmt(1 + Math.floor(rand() * 20), pd));
      if (r < 0.87) return cond(pick(["bid_depth", "ask_depth"] as const), pick(ops), String(Math.round(rand() * 2_000_000)));
      if (r < 0.94) return cond("funding_rate", pick(ops), (rand() * 0.002 - 0.001).toFixed(5));
      return cond(pick(["heatmap_long_at_risk", "heatmap_short_at_risk"] as const), pick(ops), String(Math.round(rand() * 5e7)));
    };
  };
  return Array.from({ length: n }, (_, i) => {
    const next = make(market.priceDecimals, market.sizeDecimals);
    const multi = rand() < 0.15;
    const conditions = multi ? Array.from({ length: 2 + Math.floor(rand() * 2) }, next) : [next()];
    return {
      id: `sig_${i.toString(16).padStart(24, "0")}`, venue, marketId,
      rule: { logic: multi && rand() < 0.5 ? "OR" : "AND", conditions },
      cooldownSecs: pick([60, 300, 900, 3600]), enabled: true, lastFiredAt: null,
    };
  });
}
