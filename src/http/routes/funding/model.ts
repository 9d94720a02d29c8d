/**
 * Schemas of the funding group: current rates of every market (live) and settled history (stored).
 */
import { t } from "elysia";
import { DAY_MS } from "../../../domain/time";
import { commonErrors, Envelope } from "../../envelope";
import { limitQuery, marketIdQuery, offsetQuery, timeQuery } from "../params";

/** Paging and the longest range of /funding-rates/history. */
export const FUNDING_LIMITS = { default: 100, max: 1_000, maxRangeMs: 366 * DAY_MS } as const;

const NullableDecimal = (description: string) => t.Nullable(t.String({ description: `${description} Decimal string.` }));

export const CurrentRate = t.Object({
  market_id: t.Integer(),
  symbol: t.String(),
  funding_rate: NullableDecimal("Last settled rate, percent per hour, signed; null before the first settlement."),
  predicted_rate: NullableDecimal("Estimated rate of the next settlement, percent per hour, signed."),
  mark_price: NullableDecimal("Mark price."),
  index_price: NullableDecimal("Index (oracle) price."),
  next_funding_time: t.Nullable(t.Integer({ description: "Next settlement, ms epoch (every whole hour on Lighter)." })),
  last_funding_time: t.Nullable(t.Integer({ description: "Last settlement, ms epoch." })),
  timestamp: t.Nullable(t.Integer({ description: "Venue time of these figures, ms epoch; null when the feed has none for the market yet." })),
});

export const CurrentRatesData = t.Object({ rates: t.Array(CurrentRate, { description: "Every market the venue lists, by market_id." }) });

export const HistoryQuery = t.Object({
  market_id: t.Optional(marketIdQuery("Only this market; all markets when absent.")),
  start: timeQuery("Inclusive start of the range."),
  end: t.Optional(timeQuery("Exclusive end of the range; default now.")),
  limit: t.Optional(limitQuery(FUNDING_LIMITS.default, FUNDING_LIMITS.max, "Settlements per page")),
  offset: t.Optional(offsetQuery()),
});

export const SettledRate = t.Object({
  market_id: t.Integer(),
  symbol: t.String(),
  funding_rate: t.String({ description: "Settled rate, percent per funding interval (1 hour on Lighter), signed, exact decimal string." }),
  mark_price: t.String(),
  index_price: t.String(),
  timestamp: t.Integer({ description: "Settlement time, ms epoch." }),
});

export const HistoryData = t.Object({ rates: t.Array(SettledRate, { description: "Oldest first." }) });

export const currentResponses = { 200: Envelope(CurrentRatesData), ...commonErrors } as const;
export const historyResponses = { 200: Envelope(HistoryData), ...commonErrors } as const;
