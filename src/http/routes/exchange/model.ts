/**
 * Schemas of the exchange analytics group: rolling 24h statistics of every market and totals.
 */
import { t } from "elysia";
import { commonErrors, Envelope } from "../../envelope";

/** How long a computed /exchange/stats result is served before it is computed again. */
export const STATS_CACHE_MS = 1_000;

const Decimal = (description: string) => t.String({ description: `${description} Decimal string.` });
const NullableDecimal = (description: string) => t.Nullable(Decimal(description));

export const MarketStats = t.Object({
  market_id: t.Integer(),
  symbol: t.String(),
  volume_24h: Decimal("Σ traded size over the window, base units."),
  quote_volume_24h: Decimal("Σ price × size over the window, quote (USD), exact."),
  trades_24h: t.Integer({ description: "Number of trades over the window." }),
  open_24h: NullableDecimal("Open of the first bar in the window; null without trades."),
  high_24h: NullableDecimal("Highest trade price in the window."),
  low_24h: NullableDecimal("Lowest trade price in the window."),
  last_price: NullableDecimal("Close of the latest bar in the window."),
  price_change_24h: NullableDecimal("last_price − open_24h."),
  price_change_pct_24h: NullableDecimal("(last_price − open_24h) / open_24h × 100, 4 decimals, rounded half away from zero."),
  open_interest_usd: NullableDecimal("Open interest in quote (USD) notional, from the live feed; null when it has no stats yet."),
  mark_price: NullableDecimal("Mark price from the live feed."),
});

export const ExchangeTotals = t.Object({
  markets: t.Integer({ description: "Markets the venue lists." }),
  active_markets: t.Integer({ description: "Markets with at least one trade in the window." }),
  volume_24h_usd: Decimal("Σ quote_volume_24h over all markets."),
  trades_24h: t.Integer(),
  open_interest_usd: Decimal("Σ open_interest_usd over the markets that report it."),
});

export const StatsData = t.Object({
  window_start: t.Integer({ description: "Open time of the first 1m bar of the window, ms epoch." }),
  window_end: t.Integer({ description: "Exclusive end of the window (end of the current 1m bar), ms epoch." }),
  computed_at: t.Integer({ description: "When these figures were computed (they are reused for up to 1 s), ms epoch." }),
  markets: t.Array(MarketStats, { description: "By market_id." }),
  totals: ExchangeTotals,
});

export const statsResponses = { 200: Envelope(StatsData), ...commonErrors } as const;
