/**
 * The alert-rule DSL as data: the fields a rule may watch, its operators, and the shapes of a rule
 * and of one firing. Shared by the REST routes (validation), the SignalActors (live evaluation),
 * the backtest (evaluation over stored history) and the webhook outbox (payloads).
 *
 * Values on the wire are JSON numbers (as in the guide) or decimal strings; inside, every value is
 * compared in fixed point (see compile.ts), never as a binary float.
 */

/** Every field a condition may name; docs/signals.md defines each precisely. */
export const SIGNAL_FIELDS = [
  "trade_price", "trade_size", "trade_notional",
  "orderbook_spread", "bid_depth", "ask_depth",
  "funding_rate",
  "heatmap_long_at_risk", "heatmap_short_at_risk",
] as const;
export type SignalField = (typeof SIGNAL_FIELDS)[number];

/** Every operator. */
export const SIGNAL_OPS = ["gt", "lt", "gte", "lte", "eq", "ne", "crosses_above", "crosses_below"] as const;
export type SignalOp = (typeof SIGNAL_OPS)[number];

export type SignalLogic = "AND" | "OR";

/** One condition as the client wrote it. */
export interface SignalCondition {
  field: SignalField;
  op: SignalOp;
  /** A JSON number or a decimal string, as sent. */
  value: number | string;
}

/** A rule as the client wrote it (stored as such; compiled on load). */
export interface SignalRule {
  conditions: SignalCondition[];
  logic: SignalLogic;
}

/** What the engine needs to run one signal (a stored signal without owner, name or channels). */
export interface SignalDefinition {
  id: string;
  venue: string;
  marketId: number;
  rule: SignalRule;
  cooldownSecs: number;
  enabled: boolean;
  /** When it last fired (ms), so a restart keeps honouring the cooldown; null = never. */
  lastFiredAt: number | null;
}

/** One firing: when, and the value of every field the rule names (decimal strings) at that moment. */
export interface SignalFiring {
  signalId: string;
  venue: string;
  marketId: number;
  /** Time of the market event that made the rule true (ms). */
  ts: number;
  values: Partial<Record<SignalField, string>>;
}
