/**
 * Schemas of the trades & candles group: trade history by time, interval aggregation (VWAP,
 * volume, buy/sell split) and stored OHLCV candles.
 */
import { t } from "elysia";
import { CANDLE_RESOLUTIONS, DAY_MS } from "../../../domain/time";
import { commonErrors, Envelope } from "../../envelope";
import { limitQuery, marketIdQuery, offsetQuery, timeQuery } from "../params";

/** Trade history: paging, and the longest range one request may span. */
export const TRADE_LIMITS = { default: 100, max: 1_000, maxRangeMs: 7 * DAY_MS } as const;
/** Aggregation: longest range, most buckets per response, and trades read from the store per page. */
export const AGGREGATE_LIMITS = { maxRangeMs: 7 * DAY_MS, maxBuckets: 10_000, pageSize: 5_000, defaultInterval: "1m" } as const;
/** Candles per response. */
export const CANDLE_LIMITS = { default: 500, max: 10_000 } as const;

const Decimal = (description: string) => t.String({ description: `${description} Decimal string.` });

export const TradesQuery = t.Object({
  market_id: marketIdQuery(),
  start: timeQuery("Inclusive start of the range."),
  end: t.Optional(timeQuery("Exclusive end of the range; default now.")),
  limit: t.Optional(limitQuery(TRADE_LIMITS.default, TRADE_LIMITS.max, "Trades per page")),
  offset: t.Optional(offsetQuery()),
  side: t.Optional(t.Union([t.Literal("buy"), t.Literal("sell")], { description: "Only trades whose taker bought (buy) or sold (sell)." })),
});

export const Trade = t.Object({
  trade_id: t.Integer(),
  market_id: t.Integer(),
  price: Decimal("Price in the market's price precision."),
  size: Decimal("Size in base units."),
  side: t.Union([t.Literal("buy"), t.Literal("sell")], { description: "Taker side: buy when the resting (maker) order was the ask." }),
  is_maker_ask: t.Boolean(),
  ask_account_id: t.Integer(),
  bid_account_id: t.Integer(),
  type: t.Union([t.Literal("trade"), t.Literal("liquidation"), t.Literal("deleverage")]),
  usd_amount: t.Optional(Decimal("Notional, price × size in quote (USD), exact.")),
  timestamp: t.Integer({ description: "Venue time, ms epoch." }),
});

export const TradesData = t.Object({ market_id: t.Integer(), symbol: t.String(), trades: t.Array(Trade, { description: "Oldest first, by (timestamp, trade_id)." }) });

export const AggregateQuery = t.Object({
  market_id: marketIdQuery(),
  start: timeQuery("Inclusive start; the bucket grid starts here (pass a round time for round buckets)."),
  end: t.Optional(timeQuery("Exclusive end; default now. The last bucket is clipped to it.")),
  interval: t.Optional(
    t.String({ default: AGGREGATE_LIMITS.defaultInterval, description: "Bucket length: a count and one unit of s, m, h, d or w, from 1s to 1w (1s, 5s, 1m, 15m, 4h, 1d). Default 1m." }),
  ),
});

export const Bucket = t.Object({
  start: t.Integer({ description: "Inclusive, ms epoch." }),
  end: t.Integer({ description: "Exclusive, ms epoch." }),
  vwap: t.Nullable(Decimal("Σ price × size / Σ size, with 2 decimals more than the market's price precision, rounded half-up; null without trades.")),
  volume: Decimal("Σ size, base units."),
  notional: Decimal("Σ price × size, quote units (exact)."),
  count: t.Integer({ description: "Number of trades." }),
  buy_volume: Decimal("Σ size of taker buys."),
  sell_volume: Decimal("Σ size of taker sells."),
  buy_count: t.Integer(),
  sell_count: t.Integer(),
});

export const AggregateData = t.Object({
  market_id: t.Integer(),
  symbol: t.String(),
  interval: t.String(),
  interval_ms: t.Integer(),
  start: t.Integer(),
  end: t.Integer(),
  buckets: t.Array(Bucket, { description: "Every interval of [start, end) in time order; empty ones have zero volume and a null vwap." }),
  totals: Bucket,
});

export const CandlesQuery = t.Object({
  market_id: marketIdQuery(),
  resolution: t.Union(
    CANDLE_RESOLUTIONS.map((r) => t.Literal(r)),
    { description: "Bar length. Bars are aligned to UTC; weekly bars start Monday 00:00 UTC." },
  ),
  start: t.Optional(timeQuery("Bars whose open time is at or after this. Default: the `limit` bar slots before `end`.")),
  end: t.Optional(timeQuery("Bars whose open time is before this; default now.")),
  limit: t.Optional(limitQuery(CANDLE_LIMITS.default, CANDLE_LIMITS.max, "Bars")),
});

export const Candle = t.Object({
  open_time: t.Integer({ description: "Bar open time, ms epoch." }),
  open: Decimal("First trade price."),
  high: Decimal("Highest trade price."),
  low: Decimal("Lowest trade price."),
  close: Decimal("Last trade price."),
  volume: Decimal("Σ size, base units."),
  quote_volume: Decimal("Σ price × size, quote units (exact)."),
  buy_volume: Decimal("Σ size of taker buys, base units."),
  trades: t.Integer({ description: "Number of trades." }),
  vwap: t.Nullable(Decimal("quote_volume / volume with 2 extra decimals, rounded half-up.")),
});

export const CandlesData = t.Object({
  market_id: t.Integer(),
  symbol: t.String(),
  resolution: t.String(),
  candles: t.Array(Candle, { description: "Oldest first. Bars without trades are absent (a gap is a quiet market)." }),
});

export const tradesResponses = { 200: Envelope(TradesData), ...commonErrors } as const;
export const aggregateResponses = { 200: Envelope(AggregateData), ...commonErrors } as const;
export const candlesResponses = { 200: Envelope(CandlesData), ...commonErrors } as const;
