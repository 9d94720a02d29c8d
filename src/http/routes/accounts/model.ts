/**
 * Wire shapes of the accounts group: positions, open orders, fills and account summaries as every
 * accounts route returns them, and the per-item errors of batch requests. Money is USDC decimal
 * strings with 6 decimals; prices and sizes carry the market's precision.
 */
import { t } from "elysia";

const Dec = (description: string) => t.String({ description });
const Usd = (description: string) => t.String({ description: `${description} USDC, 6 decimals.` });

export const Position = t.Object({
  market_id: t.Integer(),
  symbol: t.String(),
  side: t.Union([t.Literal("long"), t.Literal("short")]),
  size: Dec("Unsigned size in base units."),
  entry_price: Dec("Average entry price."),
  mark_price: t.Nullable(Dec("The market's mark price; null before its first stats.")),
  notional_usd: Usd("Position value: size × mark."),
  unrealized_pnl: Usd("sign × (size × mark − size × entry)."),
  realized_pnl: Usd("Running realized PnL of the position."),
  funding_paid: Usd("Running funding paid out (negative: received)."),
  initial_margin_fraction: Dec("The account's leverage setting as a percent (\"5.00\" = 20×)."),
  leverage: Dec("100 / initial_margin_fraction."),
  margin_mode: t.Union([t.Literal("cross"), t.Literal("isolated")]),
  allocated_margin: Usd("Isolated margin (0 for cross)."),
  liquidation_price: t.Nullable(Dec("Reference §E.2 cross liquidation price, printed as the venue prints it; null when there is none (a well-collateralised long) or collateral is not known yet.")),
  liquidation_distance_pct: t.Nullable(Dec("|mark − liquidation price| / mark in percent, 4 decimals.")),
});

export const Order = t.Object({
  order_id: t.String(),
  market_id: t.Integer(),
  symbol: t.String(),
  side: t.Union([t.Literal("bid"), t.Literal("ask")]),
  type: t.String({ description: "limit, market, stop-loss, take-profit, …" }),
  price: Dec("Limit price."),
  size: Dec("Initial size."),
  remaining_size: Dec("Size still resting."),
  reduce_only: t.Boolean(),
  trigger_price: t.Nullable(Dec("Trigger price of conditional orders.")),
  created_at: t.Integer({ description: "ms epoch." }),
});

export const Fill = t.Object({
  trade_id: t.Integer(),
  market_id: t.Integer(),
  symbol: t.String(),
  side: t.Union([t.Literal("buy"), t.Literal("sell")], { description: "This account's side." }),
  role: t.Union([t.Literal("maker"), t.Literal("taker")]),
  price: Dec("Execution price."),
  size: Dec("Size in base units."),
  notional_usd: Usd("price × size."),
  fee_usd: Usd("Fee paid (negative: rebate)."),
  realized_pnl: t.Nullable(Usd("PnL the fill realized.")),
  type: t.Union([t.Literal("trade"), t.Literal("liquidation"), t.Literal("deleverage")]),
  timestamp: t.Integer({ description: "Venue time, ms epoch." }),
});

export const Health = t.Union([t.Literal("healthy"), t.Literal("pre_liquidation"), t.Literal("partial_liquidation"), t.Literal("full_liquidation")], {
  description: "Reference §D.5 stage: value ≥ IMR, ≥ MMR, ≥ close-out requirement, below it.",
});

/** Account-level figures shared by every account response. */
export const accountSummaryFields = {
  account_index: t.Integer(),
  l1_address: t.Nullable(t.String()),
  status: t.Union([t.Literal("live"), t.Literal("syncing"), t.Literal("resyncing")], {
    description: "live: in step with the venue. syncing: seen in the trade feed, collateral not loaded yet (margin figures null). resyncing: a gap or an estimated funding payment since the last snapshot; a refresh is queued.",
  }),
  collateral: t.Nullable(Usd("Cross USDC collateral.")),
  total_asset_value: t.Nullable(Usd("Collateral + Σ unrealized PnL of cross positions.")),
  available_balance: t.Nullable(Usd("Total asset value − initial margin requirement.")),
  initial_margin_requirement: t.Nullable(Usd("Σ value × the position's IMF.")),
  maintenance_margin_requirement: t.Nullable(Usd("Σ value × the market's MMF.")),
  margin_ratio: t.Nullable(Dec("total_asset_value / maintenance_margin_requirement (liquidation below 1); null without positions.")),
  health: t.Nullable(Health),
  long_notional_usd: Usd("Σ value of long positions."),
  short_notional_usd: Usd("Σ value of short positions."),
  unrealized_pnl: Usd("Σ unrealized PnL."),
  realized_pnl: Usd("Σ running realized PnL."),
  funding_paid: Usd("Σ running funding paid out."),
  synced_at: t.Nullable(t.Integer({ description: "Last full snapshot from the venue, ms epoch." })),
  updated_at: t.Integer({ description: "Last change we saw, ms epoch." }),
};

export const AccountPositions = t.Object({ ...accountSummaryFields, positions: t.Array(Position) });

/** An account item of POST /accounts/batch: the parts asked for with `include`. */
export const BatchAccount = t.Object({
  ...accountSummaryFields,
  positions: t.Optional(t.Array(Position)),
  open_orders: t.Optional(t.Nullable(t.Array(Order, { description: "null: not loaded yet (or the venue refuses them)." }))),
  open_orders_total: t.Optional(t.Integer({ description: "Resting orders at the venue (the list holds at most 100)." })),
  recent_fills: t.Optional(t.Array(Fill, { description: "Newest first." })),
});

export const ItemError = t.Object({
  account: t.Union([t.Integer(), t.String()], { description: "The item as requested." }),
  code: t.Union([t.Literal("account_not_found"), t.Literal("account_not_tracked")]),
  message: t.String(),
});

export const LiquidationEvent = t.Object({
  id: t.Integer({ description: "The liquidation trade's id." }),
  market_id: t.Integer(),
  symbol: t.String(),
  side: t.Union([t.Literal("long"), t.Literal("short")], { description: "Side of the liquidated position." }),
  price: Dec("Execution price."),
  size: Dec("Size in base units."),
  notional_usd: Usd("price × size."),
  type: t.Union([t.Literal("liquidation"), t.Literal("deleverage")]),
  timestamp: t.Integer(),
});
