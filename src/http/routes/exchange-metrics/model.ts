/**
 * Schemas of GET /api/v1/exchange/metrics: exchange metrics history at a chosen resolution, for
 * one market or as exchange totals.
 */
import { t } from "elysia";
import type { CandleResolution } from "../../../store/ports";
import { commonErrors, Envelope } from "../../envelope";
import { limitQuery, marketIdQuery, timeQuery } from "../params";

/**
 * Buckets per response, and how many liquidations one request may fold into its buckets (read in
 * pages of `liquidationPage`): a bound on the work behind one response, not on the data kept.
 */
export const METRICS_LIMITS = { default: 100, max: 1_000, maxLiquidations: 100_000, liquidationPage: 10_000 } as const;

/** Bucket lengths served: the stored candle resolutions this history is offered at. */
export const METRIC_RESOLUTIONS = ["1m", "5m", "15m", "1h", "4h", "1d", "1w"] as const satisfies readonly CandleResolution[];

const Decimal = (description: string) => t.String({ description: `${description} Decimal string.` });
const NullableDecimal = (description: string) => t.Nullable(Decimal(description));

/** Query of GET /exchange/metrics. */
export const MetricsQuery = t.Object({
  market_id: t.Optional(marketIdQuery("Only this market; exchange totals over every market the venue lists when absent.")),
  resolution: t.Union(
    METRIC_RESOLUTIONS.map((r) => t.Literal(r)),
    { description: "Bucket length. Buckets are aligned to UTC like candles; weekly buckets start Monday 00:00 UTC." },
  ),
  start: t.Optional(timeQuery("Buckets whose start is at or after this. Default: the `limit` bucket slots before `end`.")),
  end: t.Optional(timeQuery("Buckets whose start is before this; default now.")),
  limit: t.Optional(limitQuery(METRICS_LIMITS.default, METRICS_LIMITS.max, "Buckets")),
});

/** One bucket of the history, for one market or as exchange totals. */
export const MetricsBucket = t.Object({
  timestamp: t.Integer({ description: "Bucket start, ms epoch; the bucket covers [timestamp, timestamp + resolution)." }),
  volume: NullableDecimal("Σ traded size, base units (from the stored candle); null for exchange totals, where sizes of different markets do not add up."),
  quote_volume: Decimal("Σ price × size, quote (USD), exact (from the stored candles); exchange totals sum every listed market."),
  trades: t.Integer({ description: "Number of trades (from the stored candles)." }),
  open_interest_usd: NullableDecimal(
    "Open interest in quote (USD) notional at the bucket's last per-minute sample; for exchange totals the sum of each market's last sample in the bucket. Null when no market in scope was sampled in the bucket.",
  ),
  mark_price: NullableDecimal("Mark price at the bucket's last sample, in the market's price precision; null for exchange totals or without a sample."),
  funding_rate: NullableDecimal("Last settled funding rate (percent per hour, signed) as of the bucket's last sample; null for exchange totals, without a sample, or when the venue reported none."),
  liquidations: t.Integer({ description: "Liquidation and deleverage fills in the bucket." }),
  liquidation_volume_usd: Decimal("Σ price × size of those fills, quote (USD), exact."),
});

/** The `data` of a 200: the scope, the resolution and the buckets. */
export const MetricsData = t.Object({
  scope: t.Union([t.Literal("market"), t.Literal("exchange")], { description: "market with `market_id`, exchange (totals) without." }),
  market_id: t.Nullable(t.Integer({ description: "The market, or null for exchange totals." })),
  symbol: t.Nullable(t.String()),
  resolution: t.String(),
  buckets: t.Array(MetricsBucket, {
    description: "Every bucket whose start is in [start, end), oldest first, at most `limit`; a bucket without data has zero volumes and null samples.",
  }),
});

/** Responses per status, for validation and the OpenAPI document. */
export const metricsResponses = { 200: Envelope(MetricsData), ...commonErrors } as const;
