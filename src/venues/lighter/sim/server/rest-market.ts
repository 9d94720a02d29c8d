/**
 * REST routes for markets, books and exchange-wide figures (reference §B.2): `/`, `/info`,
 * orderBooks, orderBookDetails, orderBookOrders, funding-rates, exchangeStats, exchangeMetrics,
 * currentHeight, assetDetails.
 */
import type {
  AssetDetails,
  CurrentHeight,
  ExchangeMetrics,
  ExchangeStats,
  FundingRates,
  Info,
  OrderBookDetails,
  OrderBookOrders,
  OrderBooks,
  Status,
} from "../../protocol.ts";
import type { Exchange } from "../engine/exchange.ts";
import type { MarketState } from "../engine/market-state.ts";
import { METRIC_KINDS, isMetricPeriod } from "../engine/metrics.ts";
import { daily, orderBookRow, perpDetail, simpleOrder } from "./format.ts";
import { Query, VENUE_ERRORS, VenueError, marketParam } from "./params.ts";

/** A REST handler: the engine and the query in, the JSON body out (or a thrown VenueError). */
export type Route = (ex: Exchange, q: Query) => object;

/** Stand-in for `/info` (the mainnet value is an open question, reference §H.10). */
const CONTRACT_ADDRESS = "0x3b4d794a66304f130a4db8f2551b0070dfcf5ca7";

/** `market_id` (255 = all) and `filter` (all | spot | perp): the perp markets selected. */
function selectMarkets(ex: Exchange, q: Query): MarketState[] {
  const filter = q.oneOf("filter", ["all", "spot", "perp"] as const, "all");
  const one = marketParam(ex, q, { required: false, allowAll: true });
  if (filter === "spot") return [];
  return one ? [one] : ex.markets;
}

const status: Route = (ex): Status => ({ status: 200, network_id: 1, timestamp: Math.floor(ex.now / 1000) });

const info: Route = (): Info => ({ contract_address: CONTRACT_ADDRESS });

const orderBooks: Route = (ex, q): OrderBooks => ({
  code: 200,
  order_books: selectMarkets(ex, q).map((m) => orderBookRow(m.spec)),
});

const orderBookDetails: Route = (ex, q): OrderBookDetails => ({
  code: 200,
  order_book_details: selectMarkets(ex, q).map((m) => perpDetail(ex, m)),
  spot_order_book_details: [],
});

const orderBookOrders: Route = (ex, q): OrderBookOrders => {
  const m = marketParam(ex, q, { required: true, allowAll: false }) as MarketState;
  const limit = q.limit(250);
  const asks = m.book.l3(true, limit).map((o) => simpleOrder(o, m.spec));
  const bids = m.book.l3(false, limit).map((o) => simpleOrder(o, m.spec));
  let totalAsks = 0;
  let totalBids = 0;
  for (const o of m.book.orders.values()) o.isAsk ? totalAsks++ : totalBids++;
  return { code: 200, total_asks: totalAsks, asks, total_bids: totalBids, bids };
};

/** Lighter's rate is `rate × 8 / 100` (a fraction per 8 hours); other venues are plausible neighbours. */
const fundingRates: Route = (ex): FundingRates => {
  const rows: FundingRates["funding_rates"] = [];
  for (const m of ex.markets) {
    const lighter = (m.fundingRate4 / 10_000 / 100) * 8;
    rows.push({ market_id: m.spec.id, exchange: "lighter", symbol: m.spec.symbol, rate: Number(lighter.toPrecision(6)) });
    const neighbour = 1e-4 * (0.3 + ((m.spec.id * 37) % 10) / 10);
    rows.push({ market_id: m.spec.id, exchange: "binance", symbol: m.spec.symbol, rate: Number(neighbour.toPrecision(4)) });
    rows.push({ market_id: m.spec.id, exchange: "hyperliquid", symbol: m.spec.symbol, rate: Number((neighbour * 0.9).toPrecision(4)) });
  }
  return { code: 200, funding_rates: rows };
};

const exchangeStats: Route = (ex): ExchangeStats => {
  const stats = ex.markets.map((m) => ({ symbol: m.spec.symbol, ...daily(ex, m) }));
  return {
    code: 200,
    total: stats.length,
    order_book_stats: stats.map((s) => ({
      symbol: s.symbol, last_trade_price: s.last_trade_price, daily_trades_count: s.daily_trades_count,
      daily_base_token_volume: s.daily_base_token_volume, daily_quote_token_volume: s.daily_quote_token_volume,
      daily_price_change: s.daily_price_change,
    })),
    daily_usd_volume: Math.round(stats.reduce((a, s) => a + s.daily_quote_token_volume, 0) * 1e6) / 1e6,
    daily_trades_count: stats.reduce((a, s) => a + s.daily_trades_count, 0),
  };
};

const exchangeMetrics: Route = (ex, q): ExchangeMetrics => {
  const period = q.string("period", true);
  if (!isMetricPeriod(period)) throw new VenueError(VENUE_ERRORS.invalidParam, "invalid param: period");
  const kind = q.oneOf("kind", METRIC_KINDS);
  let marketId: number | undefined;
  if (q.string("filter") === "byMarket") {
    const value = q.string("value", true);
    const m = ex.markets.find((x) => x.spec.symbol === value || String(x.spec.id) === value);
    if (!m) throw new VenueError(VENUE_ERRORS.invalidMarket, "invalid market index");
    marketId = m.spec.id;
  }
  return { code: 200, metrics: ex.metrics.series(kind, period, ex.now, marketId) };
};

const currentHeight: Route = (ex): CurrentHeight => ({ code: 200, height: ex.height });

const assetDetails: Route = (ex, q): AssetDetails => {
  const id = q.int("asset_id");
  const usdc = {
    asset_id: 3, symbol: "USDC", l1_decimals: 6, decimals: 6, min_transfer_amount: "1.000000",
    min_withdrawal_amount: "1.000000", margin_mode: "enabled" as const, index_price: "1.000000", price_decimals: 6,
    l1_address: "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", loan_to_value: "1.0000", liquidation_threshold: "1.0000",
    liquidation_factor: "1.0000", liquidation_fee: "0.0000", global_supply_cap: "0", user_supply_cap: "0",
    total_supplied: "0", multiplier: "1",
  };
  return { code: 200, asset_details: id === undefined || id === 0 || id === 3 ? [usdc] : [] };
};

/** Market and exchange routes by path. */
export const marketRoutes: Readonly<Record<string, Route>> = {
  "/": status,
  "/info": info,
  "/api/v1/orderBooks": orderBooks,
  "/api/v1/orderBookDetails": orderBookDetails,
  "/api/v1/orderBookOrders": orderBookOrders,
  "/api/v1/funding-rates": fundingRates,
  "/api/v1/exchangeStats": exchangeStats,
  "/api/v1/exchangeMetrics": exchangeMetrics,
  "/api/v1/currentHeight": currentHeight,
  "/api/v1/assetDetails": assetDetails,
};
