/**
 * Schemas of the liquidation-risk group: the heatmap and cascade of a market, and the top accounts
 * of a market and of the exchange.
 */
import { t } from "elysia";
import { authErrors, commonErrors, Envelope, ErrorEnvelope } from "../../envelope";
import { Position } from "../accounts/model";

const Dec = (description: string) => t.String({ description });
const Usd = (description: string) => t.String({ description: `${description} USDC, 6 decimals.` });
const errors = { ...commonErrors, ...authErrors, 503: ErrorEnvelope } as const;

export const CASCADE_LIMITS = { maxSteps: { default: 50, max: 500 } } as const;
export const TOP_DEFAULT = 100;

export const HeatmapQuery = t.Object({
  bucket_size: t.Optional(Dec("Bucket width in price units, a multiple of the market's tick (default: a round size giving about 100 buckets over the range).")),
  min_price: t.Optional(Dec("Lower edge of the range (default mark − range_pct).")),
  max_price: t.Optional(Dec("Upper edge of the range (default mark + range_pct).")),
  range_pct: t.Optional(t.Number({ exclusiveMinimum: 0, maximum: 100, description: "Half-width of the default range around the mark, percent (default 20)." })),
});

export const HeatmapData = t.Object({
  market_id: t.Integer(),
  symbol: t.String(),
  mark_price: Dec("The mark the positions are valued at."),
  bucket_size: Dec("Bucket width."),
  min_price: Dec("Lower edge of the first bucket."),
  max_price: Dec("Upper edge of the last bucket (exclusive)."),
  buckets: t.Array(t.Object({
    price: Dec("Lower edge of the bucket; the bucket is [price, price + bucket_size)."),
    long_liquidation_usd: Usd("Value at the mark of longs whose liquidation price is in the bucket."),
    short_liquidation_usd: Usd("Value at the mark of shorts whose liquidation price is in the bucket."),
    long_positions: t.Integer(),
    short_positions: t.Integer(),
    cumulative_long_usd: Usd("Longs liquidated if the price falls into this bucket (this bucket and every one above)."),
    cumulative_short_usd: Usd("Shorts liquidated if the price rises into this bucket (this bucket and every one below)."),
  }), { description: "Lowest price first; every bucket of the range, empty ones as zeros." }),
  totals: t.Object({
    long_usd: Usd("Σ value of tracked longs that have a liquidation price (in range or not)."),
    short_usd: Usd("Σ value of tracked shorts that have a liquidation price."),
    long_positions: t.Integer(),
    short_positions: t.Integer(),
    long_out_of_range_usd: Usd("Of long_usd, outside the range."),
    short_out_of_range_usd: Usd("Of short_usd, outside the range."),
    long_not_at_risk_usd: Usd("Longs with no liquidation price (collateral covers any fall)."),
    long_not_at_risk_positions: t.Integer(),
    unknown_usd: Usd("Positions of accounts whose collateral is not loaded yet (no liquidation price yet)."),
    unknown_positions: t.Integer(),
  }),
  accounts: t.Integer({ description: "Tracked accounts with a position in the market." }),
  timestamp: t.Integer(),
});

export const CascadeQuery = t.Object({
  shock_pct: t.Number({ minimum: -99, maximum: 1000, description: "The initial move of the price from the mark, percent (−5: a 5 % drop liquidating longs; +5: a rise liquidating shorts). Not 0." }),
  max_steps: t.Optional(t.Integer({ minimum: 1, maximum: CASCADE_LIMITS.maxSteps.max, description: `Most cascade steps (default ${CASCADE_LIMITS.maxSteps.default}).` })),
});

export const CascadeData = t.Object({
  market_id: t.Integer(),
  symbol: t.String(),
  direction: t.Union([t.Literal("down"), t.Literal("up")]),
  mark_price: Dec("Price before the shock."),
  shock_price: Dec("Price right after the shock."),
  final_price: Dec("Where the cascade leaves the price."),
  total_move_pct: Dec("(final − mark) / mark, percent."),
  steps: t.Array(t.Object({
    step: t.Integer(),
    trigger_price: Dec("The price that triggered this step's liquidations."),
    positions: t.Integer(),
    liquidated_size: Dec("Size sent to the book."),
    filled_size: Dec("Size the book absorbed."),
    liquidated_usd: Usd("Executed notional."),
    vwap: t.Nullable(Dec("Average execution price.")),
    end_price: Dec("Last price touched."),
    slippage_pct: Dec("(trigger − vwap) / trigger for a fall, (vwap − trigger) / trigger for a rise, percent."),
  })),
  total_liquidated_usd: Usd("Σ executed notional."),
  total_positions: t.Integer(),
  unfilled_size: Dec("Triggered size the known book depth could not absorb."),
  stopped_by: t.Union([t.Literal("stable"), t.Literal("book_exhausted"), t.Literal("max_steps")], {
    description: "stable: the last step reached no further liquidation price; book_exhausted: the book depth we hold (500 levels) ran out; max_steps: the step cap.",
  }),
  book_levels: t.Integer({ description: "Levels of the liquidity side the walk could use." }),
  timestamp: t.Integer(),
});

export const TopQuery = t.Object({
  side: t.Optional(t.Union([t.Literal("long"), t.Literal("short"), t.Literal("all")], { default: "all", description: "Rank by this side's notional (default both)." })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 5_000, description: `Rows (default ${TOP_DEFAULT}); capped at your tier's top-accounts limit (Free 10 … Enterprise 5,000), reported as meta.limit.` })),
});

export const MarketTopData = t.Object({
  market_id: t.Integer(),
  symbol: t.String(),
  mark_price: t.Nullable(Dec("Mark price.")),
  side: t.String(),
  accounts: t.Array(t.Object({ rank: t.Integer(), account_index: t.Integer(), position: Position })),
});

export const ExchangeTopData = t.Object({
  side: t.String(),
  accounts: t.Array(t.Object({
    rank: t.Integer(),
    account_index: t.Integer(),
    total_notional_usd: Usd("Σ value of every position."),
    long_notional_usd: Usd("Σ value of longs."),
    short_notional_usd: Usd("Σ value of shorts."),
    positions: t.Integer(),
    unrealized_pnl: Usd("Σ unrealized PnL."),
    total_asset_value: t.Nullable(Usd("Collateral + unrealized PnL.")),
    margin_ratio: t.Nullable(Dec("total_asset_value / maintenance requirement.")),
  })),
});

export const heatmapResponses = { 200: Envelope(HeatmapData), ...errors } as const;
export const cascadeResponses = { 200: Envelope(CascadeData), ...errors } as const;
export const marketTopResponses = { 200: Envelope(MarketTopData), ...errors } as const;
export const exchangeTopResponses = { 200: Envelope(ExchangeTopData), ...errors } as const;
