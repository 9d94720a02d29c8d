/**
 * REST routes over the engine's history (reference §B.2): recentTrades, trades (filters and cursor
 * paging), candles and fundings. Query timestamps are ms; values below 1e11 are read as seconds.
 */
import type { Candles, Funding, Fundings, Trades } from "../../protocol.ts";
import type { SimTrade } from "../engine/events.ts";
import type { Exchange } from "../engine/exchange.ts";
import { formatRate4 } from "../engine/funding.ts";
import type { FundingRecord } from "../engine/ledger.ts";
import type { MarketState } from "../engine/market-state.ts";
import { RESOLUTIONS } from "../engine/candles.ts";
import { candle, fixed, trade } from "./format.ts";
import { VENUE_ERRORS, VenueError, marketParam } from "./params.ts";
import type { Route } from "./rest-market.ts";

const MAX_CANDLES = 500;
const MAX_FUNDINGS = 100;
const HOUR_MS = 3_600_000;

const wire = (ex: Exchange, t: SimTrade) => trade(t, ex.spec(t.marketId));

const recentTrades: Route = (ex, q): Trades => {
  const m = marketParam(ex, q, { required: true, allowAll: false }) as MarketState;
  const limit = q.limit(100);
  const ring = ex.ledger.tradesByMarket.get(m.spec.id);
  return { code: 200, trades: (ring?.newest(limit) ?? []).map((t) => wire(ex, t)) };
};

/** `/trades`: newest first, every filter of the SDK, paged by `cursor` (a trade id, exclusive). */
const trades: Route = (ex, q): Trades => {
  q.oneOf("sort_by", ["block_height", "timestamp", "trade_id"] as const);
  q.oneOf("sort_dir", ["desc"] as const, "desc");
  q.oneOf("market_type", ["all", "spot", "perp"] as const, "all");
  const limit = q.limit(100);
  const market = marketParam(ex, q, { required: false, allowAll: true });
  const account = q.int("account_index", false, -1) as number;
  const orderIndex = q.int("order_index");
  const cursor = q.string("cursor");
  if (cursor !== undefined && !/^\d+$/.test(cursor)) throw new VenueError(VENUE_ERRORS.invalidParam, "invalid param: cursor");
  const before = cursor === undefined ? Infinity : Number(cursor);
  const from = q.time("from") ?? -1;
  const askFilter = q.int("ask_filter", false, -1) as number;
  const role = q.oneOf("role", ["all", "maker", "taker"] as const, "all");
  const type = q.oneOf("type", ["all", "trade", "liquidation", "deleverage", "market-settlement"] as const, "all");

  const keep = (t: SimTrade): boolean => {
    if (t.tradeId >= before || (from >= 0 && t.timestamp < from)) return false;
    if (market && t.marketId !== market.spec.id) return false;
    if (type !== "all" && t.type !== type) return false;
    if (orderIndex !== undefined && t.taker.orderIndex !== orderIndex && t.maker.orderIndex !== orderIndex) return false;
    if (account >= 0) {
      const isTaker = t.taker.account === account;
      const isMaker = t.maker.account === account;
      if (!isTaker && !isMaker) return false;
      if (role === "maker" && !isMaker) return false;
      if (role === "taker" && !isTaker) return false;
      const askAccount = t.isMakerAsk ? t.maker.account : t.taker.account;
      if (askFilter === 1 && askAccount !== account) return false;
      if (askFilter === 0 && askAccount === account) return false;
    }
    return true;
  };
  const sources = account >= 0
    ? [ex.ledger.tradesByAccount.get(account)]
    : (market ? [market] : ex.markets).map((m) => ex.ledger.tradesByMarket.get(m.spec.id));
  const found: SimTrade[] = [];
  for (const ring of sources) if (ring) found.push(...ring.newest(limit + 1, keep));
  found.sort((a, b) => b.tradeId - a.tradeId);
  const page = found.slice(0, limit);
  const body: Trades = { code: 200, trades: page.map((t) => wire(ex, t)) };
  if (found.length > limit && page.length > 0) body.next_cursor = String((page[page.length - 1] as SimTrade).tradeId);
  return body;
};

const candles: Route = (ex, q): Candles => {
  const m = marketParam(ex, q, { required: true, allowAll: false }) as MarketState;
  const resolution = q.string("resolution", true);
  const barMs = RESOLUTIONS[resolution];
  if (barMs === undefined) throw new VenueError(VENUE_ERRORS.candleResolution, "unsupported resolution");
  const start = q.time("start_timestamp", true);
  const end = q.time("end_timestamp", true);
  const countBack = q.int("count_back", true);
  const toEnd = q.bool("set_timestamp_to_end") ?? false;
  if (end < start) throw new VenueError(VENUE_ERRORS.candleEndBeforeStart, "end timestamp is before start timestamp");
  if (countBack > 5_000) throw new VenueError(VENUE_ERRORS.candleRangeTooLong, "time range is too long");
  let bars = m.bars.aggregate(barMs, start, end).slice(0, MAX_CANDLES);
  if (countBack > bars.length) {
    // count_back extends the window back before start_timestamp.
    const earlier = m.bars.aggregate(barMs, start - countBack * barMs, start).filter((b) => b.t < start);
    bars = [...earlier.slice(Math.max(0, earlier.length - (countBack - bars.length))), ...bars].slice(-MAX_CANDLES);
  }
  return {
    code: 200,
    r: resolution,
    c: bars.map((b) => {
      const c = candle(b, m.spec);
      if (toEnd) c.t = b.t + barMs;
      return c;
    }),
  };
};

function fundingRow(ex: Exchange, rows: FundingRecord[]): Funding {
  const first = rows[0] as FundingRecord;
  const spec = ex.spec(first.marketId);
  const rate4 = rows.reduce((a, r) => a + r.rate4, 0);
  // value = index × rate / 100 per unit of base: index ticks × rate4 carries pd + 6 decimals.
  const value = rows.reduce((a, r) => a + r.indexPrice * Math.abs(r.rate4), 0);
  return {
    timestamp: Math.floor(first.time / 1000),
    value: fixed(value, spec.priceDecimals + 6),
    rate: formatRate4(Math.abs(rate4)),
    direction: rate4 >= 0 ? "long" : "short",
  };
}

const fundings: Route = (ex, q): Fundings => {
  const m = marketParam(ex, q, { required: true, allowAll: false }) as MarketState;
  const resolution = q.oneOf("resolution", ["1h", "1d"] as const);
  const start = q.time("start_timestamp", true);
  const end = q.time("end_timestamp", true);
  const countBack = q.int("count_back", true);
  const stepMs = resolution === "1h" ? HOUR_MS : 24 * HOUR_MS;
  const all = ex.ledger.fundings.get(m.spec.id)?.toArray() ?? [];
  const groups = new Map<number, FundingRecord[]>();
  for (const r of all) {
    const t = Math.floor(r.time / stepMs) * stepMs;
    const g = groups.get(t) ?? [];
    g.push(r);
    groups.set(t, g);
  }
  const keys = [...groups.keys()].sort((a, b) => a - b);
  let chosen = keys.filter((t) => t >= start && t < end).slice(0, MAX_FUNDINGS);
  if (countBack > chosen.length) {
    const earlier = keys.filter((t) => t < start);
    chosen = [...earlier.slice(Math.max(0, earlier.length - (countBack - chosen.length))), ...chosen].slice(-MAX_FUNDINGS);
  }
  const rows = chosen.map((t) => {
    const row = fundingRow(ex, groups.get(t) as FundingRecord[]);
    row.timestamp = Math.floor(t / 1000);
    return row;
  });
  return { code: 200, resolution, fundings: rows };
};

/** History routes by path. */
export const historyRoutes: Readonly<Record<string, Route>> = {
  "/api/v1/recentTrades": recentTrades,
  "/api/v1/trades": trades,
  "/api/v1/candles": candles,
  "/api/v1/fundings": fundings,
};
