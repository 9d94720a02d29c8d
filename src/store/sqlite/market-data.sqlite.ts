/**
 * MarketDataStore on bun:sqlite. Writes are synchronous inside one transaction per call;
 * statements are prepared once per connection (lazily: the store exists before migrate() has
 * created the tables) and reused.
 */
import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import type {
  BookSnapshotRecord,
  CandleRecord,
  FundingRecord,
  HistoryPage,
  LiquidationRecord,
  MarketDataStore,
  MarketMetricRecord,
  TradeRecord,
} from "../ports.ts";
import { checkedMarketMetrics } from "../market-metrics.ts";
import {
  boundedCountSql, type BoundedCountRow, type CountRow, type FundingRow, toBoundedCount, type LiquidationRow, type MetricRow, toFunding, toLiquidation, toMetric,
} from "../market-data.rows.ts";

/** Rows per multi-row trade INSERT: 64 × 10 parameters measured fastest (≈1.3× one row per call). */
const TRADE_CHUNK = 64;
const TRADE_COLUMNS = "(venue, market_id, ts, trade_id, price, size, is_maker_ask, ask_account_id, bid_account_id, kind)";
const TRADE_TUPLE = "(?,?,?,?,?,?,?,?,?,?)";
const TRADE_SELECT = "SELECT venue, market_id, ts, trade_id, price, size, is_maker_ask, ask_account_id, bid_account_id, kind FROM trades";
const SNAPSHOT_SELECT = "SELECT venue, market_id, ts, nonce, bids, asks FROM book_snapshots";
const LIQUIDATION_SELECT = "SELECT venue, market_id, id, ts, account_id, side, price, size, kind FROM liquidations";
const METRIC_SELECT = "SELECT venue, market_id, ts, open_interest_usd, mark_price, index_price, funding_rate FROM market_metrics";
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

interface TradeRow {
  venue: string; market_id: number; ts: number; trade_id: number; price: number; size: number;
  is_maker_ask: number; ask_account_id: number; bid_account_id: number; kind: TradeRecord["kind"];
}
interface SnapshotRow { venue: string; market_id: number; ts: number; nonce: number; bids: string; asks: string }

const toTrade = (r: TradeRow): TradeRecord => ({
  venue: r.venue, marketId: r.market_id, tradeId: r.trade_id, ts: r.ts, price: r.price, size: r.size,
  isMakerAsk: r.is_maker_ask === 1, askAccountId: r.ask_account_id, bidAccountId: r.bid_account_id, kind: r.kind,
});
const toSnapshot = (r: SnapshotRow): BookSnapshotRecord => ({
  venue: r.venue, marketId: r.market_id, ts: r.ts, nonce: r.nonce, bids: JSON.parse(r.bids), asks: JSON.parse(r.asks),
});

/** A trade row of `readHistoryPage`: ts, trade_id, price, size, is_maker_ask, ask_account_id, bid_account_id, kind. */
type HistoryTradeValues = [number, number, number, number, number, number, number, TradeRecord["kind"]];
/** A snapshot row of `readHistoryPage`: ts, nonce, bids and asks as JSON text. */
type HistorySnapshotValues = [number, number, string, string];

/** A candle row of `queryCandles`: open_time … volume, quote_volume (exact below 2^53), its text above, trade_count, buy_volume. */
type CandleValues = [number, number, number, number, number, number, number, string | null, number, number];

/** Builds the SQLite MarketDataStore over an open, migrated (by first use) connection. */
export function createSqliteMarketData(db: Database): MarketDataStore {
  const cache = new Map<string, Statement>();
  /** The prepared statement for `sql`, compiled on first use and kept for the connection's life. */
  function stmt<Row = unknown>(sql: string): Statement<Row, SQLQueryBindings[]> {
    let s = cache.get(sql);
    if (!s) cache.set(sql, (s = db.prepare(sql)));
    return s as Statement<Row, SQLQueryBindings[]>;
  }
  const count = (sql: string, ...params: SQLQueryBindings[]): number => stmt<CountRow>(sql).get(...params)?.n ?? 0;

  // One flat argument buffer reused across chunks: no per-row arrays or objects in the hot loop.
  const tradeArgs: SQLQueryBindings[] = new Array(TRADE_CHUNK * 10);
  const fillTrade = (args: SQLQueryBindings[], o: number, t: TradeRecord): void => {
    args[o] = t.venue; args[o + 1] = t.marketId; args[o + 2] = t.ts; args[o + 3] = t.tradeId; args[o + 4] = t.price;
    args[o + 5] = t.size; args[o + 6] = t.isMakerAsk ? 1 : 0; args[o + 7] = t.askAccountId;
    args[o + 8] = t.bidAccountId; args[o + 9] = t.kind;
  };
  // ON CONFLICT DO NOTHING rather than INSERT OR IGNORE: OR IGNORE would also silently drop rows
  // that break NOT NULL / CHECK / STRICT typing; only a duplicate key should be skipped.
  const insertTradeChunk = `INSERT INTO trades ${TRADE_COLUMNS} VALUES ${Array(TRADE_CHUNK).fill(TRADE_TUPLE).join(",")} ON CONFLICT DO NOTHING`;
  const insertTradeOne = `INSERT INTO trades ${TRADE_COLUMNS} VALUES ${TRADE_TUPLE} ON CONFLICT DO NOTHING`;
  const writeTrades = db.transaction((rows: readonly TradeRecord[]): number => {
    let added = 0;
    let i = 0;
    const chunk = stmt(insertTradeChunk);
    for (; i + TRADE_CHUNK <= rows.length; i += TRADE_CHUNK) {
      for (let j = 0; j < TRADE_CHUNK; j++) fillTrade(tradeArgs, j * 10, rows[i + j]!);
      added += chunk.run(...checkedInts(tradeArgs)).changes;
    }
    const one = stmt(insertTradeOne);
    for (; i < rows.length; i++) {
      fillTrade(tradeArgs, 0, rows[i]!);
      added += one.run(...checkedInts(tradeArgs.slice(0, 10))).changes;
    }
    return added;
  });

  /** Runs `each` for every row inside one transaction and sums the rows it changed. */
  const batch = <T>(sql: string, bind: (row: T) => SQLQueryBindings[]) =>
    db.transaction((rows: readonly T[]): number => {
      const s = stmt(sql);
      let changed = 0;
      for (const row of rows) changed += s.run(...checkedInts(bind(row))).changes;
      return changed;
    });

  const writeSnapshots = batch<BookSnapshotRecord>(
    "INSERT INTO book_snapshots (venue, market_id, ts, nonce, bids, asks) VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
    (s) => [s.venue, s.marketId, s.ts, s.nonce, JSON.stringify(s.bids), JSON.stringify(s.asks)],
  );
  const writeCandles = batch<CandleRecord>(
    `INSERT INTO candles (venue, market_id, resolution, open_time, open, high, low, close, volume, quote_volume,
       trade_count, buy_volume) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
     ON CONFLICT (venue, market_id, resolution, open_time) DO UPDATE SET open = excluded.open, high = excluded.high,
       low = excluded.low, close = excluded.close, volume = excluded.volume, quote_volume = excluded.quote_volume,
       trade_count = excluded.trade_count, buy_volume = excluded.buy_volume`,
    (c) => [c.venue, c.marketId, c.resolution, c.openTime, c.open, c.high, c.low, c.close, c.volume,
      checkedInt64(c.quoteVolume), c.tradeCount, c.buyVolume],
  );
  const writeFunding = batch<FundingRecord>(
    "INSERT INTO funding (venue, market_id, ts, rate, mark_price, index_price) VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
    (f) => [f.venue, f.marketId, f.ts, f.rate, f.markPrice, f.indexPrice],
  );
  const writeLiquidations = batch<LiquidationRecord>(
    `INSERT INTO liquidations (venue, market_id, id, ts, account_id, side, price, size, kind)
     VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
    (l) => [l.venue, l.marketId, l.id, l.ts, l.accountId, l.side, l.price, l.size, l.kind],
  );
  const writeMetrics = batch<MarketMetricRecord>(
    `INSERT INTO market_metrics (venue, market_id, ts, open_interest_usd, mark_price, index_price, funding_rate)
     VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
    (m) => [m.venue, m.marketId, m.ts, m.openInterestUsd, m.markPrice, m.indexPrice, m.fundingRate],
  );

  return {
    async insertTrades(rows) {
      return rows.length === 0 ? 0 : writeTrades(rows);
    },
    async queryTrades(q) {
      // ?5 is null for "both sides": one statement serves the three cases (side is a filter,
      // never an index column, so nothing is lost).
      const where = "WHERE venue = ?1 AND market_id = ?2 AND ts >= ?3 AND ts < ?4 AND (?5 IS NULL OR is_maker_ask = ?5)";
      const side = q.side === undefined ? null : q.side === "buy" ? 1 : 0;
      const args = [q.venue, q.marketId, q.start, q.end, side];
      const total = count(`SELECT count(*) AS n FROM trades ${where}`, ...args);
      const rows = stmt<TradeRow>(`${TRADE_SELECT} ${where} ORDER BY ts, trade_id LIMIT ?6 OFFSET ?7`).all(...args, q.limit, q.offset);
      return { rows: rows.map(toTrade), total };
    },
    async latestTrade(q) {
      const row = stmt<TradeRow>(`${TRADE_SELECT} WHERE venue = ? AND market_id = ? ORDER BY ts DESC, trade_id DESC LIMIT 1`).get(q.venue, q.marketId);
      return row ? toTrade(row) : null;
    },
    async readTradesAfter(q) {
      return stmt<TradeRow>(
        `${TRADE_SELECT} WHERE venue = ? AND market_id = ? AND (ts, trade_id) > (?, ?) AND ts < ? ORDER BY ts, trade_id LIMIT ?`,
      ).all(q.venue, q.marketId, q.after.ts, q.after.id, q.end, q.limit).map(toTrade);
    },

    async countHistory(q) {
      const bounded = (table: "trades" | "book_snapshots") =>
        toBoundedCount(stmt<BoundedCountRow>(boundedCountSql(table, (n) => `?${n}`)).get(q.venue, q.marketId, q.start, q.end, q.cap + 1) as BoundedCountRow, q.cap);
      return { trades: bounded("trades"), snapshots: bounded("book_snapshots") };
    },

    async insertBookSnapshots(rows) {
      return rows.length === 0 ? 0 : writeSnapshots(rows);
    },
    async bookSnapshotAt(q) {
      const row = stmt<SnapshotRow>(`${SNAPSHOT_SELECT} WHERE venue = ? AND market_id = ? AND ts <= ? ORDER BY ts DESC LIMIT 1`)
        .get(q.venue, q.marketId, q.ts);
      return row ? toSnapshot(row) : null;
    },
    async queryBookSnapshots(q) {
      const where = "WHERE venue = ? AND market_id = ? AND ts >= ? AND ts < ?";
      const args = [q.venue, q.marketId, q.start, q.end];
      const total = count(`SELECT count(*) AS n FROM book_snapshots ${where}`, ...args);
      const rows = stmt<SnapshotRow>(`${SNAPSHOT_SELECT} ${where} ORDER BY ts LIMIT ? OFFSET ?`).all(...args, q.limit, q.offset);
      return { rows: rows.map(toSnapshot), total };
    },
    async readBookSnapshotsAfter(q) {
      return stmt<SnapshotRow>(`${SNAPSHOT_SELECT} WHERE venue = ? AND market_id = ? AND ts > ? AND ts < ? ORDER BY ts LIMIT ?`)
        .all(q.venue, q.marketId, q.afterTs, q.end, q.limit).map(toSnapshot);
    },
    async readHistoryPage(q) {
      // Rows as arrays (`values`), transposed into columns: no object per row, no column names.
      const t = stmt<HistoryTradeValues>(
        `SELECT ts, trade_id, price, size, is_maker_ask, ask_account_id, bid_account_id, kind FROM trades
         WHERE venue = ? AND market_id = ? AND (ts, trade_id) > (?, ?) AND ts < ? ORDER BY ts, trade_id LIMIT ?`,
      ).values(q.venue, q.marketId, q.after.ts, q.after.id, q.end, q.tradeLimit) as HistoryTradeValues[];
      const s = stmt<HistorySnapshotValues>(
        "SELECT ts, nonce, bids, asks FROM book_snapshots WHERE venue = ? AND market_id = ? AND ts > ? AND ts < ? ORDER BY ts LIMIT ?",
      ).values(q.venue, q.marketId, q.afterSnapshotTs, q.end, q.snapshotLimit) as HistorySnapshotValues[];
      const page: HistoryPage = {
        trades: { ts: [], tradeId: [], price: [], size: [], isMakerAsk: [], askAccountId: [], bidAccountId: [], kind: [] },
        snapshots: { ts: [], nonce: [], bids: [], asks: [] },
      };
      const tc = page.trades;
      for (const r of t) {
        tc.ts.push(r[0]), tc.tradeId.push(r[1]), tc.price.push(r[2]), tc.size.push(r[3]), tc.isMakerAsk.push(r[4] === 1);
        tc.askAccountId.push(r[5]), tc.bidAccountId.push(r[6]), tc.kind.push(r[7]);
      }
      const sc = page.snapshots;
      for (const r of s) sc.ts.push(r[0]), sc.nonce.push(r[1]), sc.bids.push(JSON.parse(r[2])), sc.asks.push(JSON.parse(r[3]));
      return page;
    },

    async upsertCandles(rows) {
      if (rows.length > 0) writeCandles(rows);
    },
    async queryCandles(q) {
      // Up to 10,000 rows per call (the /candles hot path): rows as arrays, only the columns the
      // query does not fix, and quote_volume as a number unless it is past 2^53 (then as text).
      const rows = stmt<CandleValues>(
        `SELECT open_time, open, high, low, close, volume, quote_volume,
           CASE WHEN abs(quote_volume) > 9007199254740991 THEN CAST(quote_volume AS TEXT) END, trade_count, buy_volume
         FROM candles WHERE venue = ? AND market_id = ? AND resolution = ? AND open_time >= ? AND open_time < ?
         ORDER BY open_time LIMIT ?`,
      ).values(q.venue, q.marketId, q.resolution, q.start, q.end, q.limit) as unknown as CandleValues[];
      const out: CandleRecord[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as CandleValues;
        out[i] = {
          venue: q.venue, marketId: q.marketId, resolution: q.resolution, openTime: r[0], open: r[1], high: r[2], low: r[3], close: r[4],
          volume: r[5], quoteVolume: r[7] === null ? BigInt(r[6]) : BigInt(r[7]), tradeCount: r[8], buyVolume: r[9],
        };
      }
      return out;
    },

    async insertFunding(rows) {
      return rows.length === 0 ? 0 : writeFunding(rows);
    },
    async queryFunding(q) {
      const [where, args] = venueOrMarket(q);
      const total = count(`SELECT count(*) AS n FROM funding ${where}`, ...args);
      const rows = stmt<FundingRow>(
        `SELECT venue, market_id, ts, rate, mark_price, index_price FROM funding ${where} ORDER BY ts, market_id LIMIT ? OFFSET ?`,
      ).all(...args, q.limit, q.offset);
      return { rows: rows.map(toFunding), total };
    },

    async insertLiquidations(rows) {
      return rows.length === 0 ? 0 : writeLiquidations(rows);
    },
    async queryLiquidations(q) {
      const [where, args] = venueOrMarket(q);
      const dir = q.order === "desc" ? "DESC" : "ASC";
      const rows = stmt<LiquidationRow>(
        `${LIQUIDATION_SELECT} ${where} ORDER BY ts ${dir}, market_id ${dir}, id ${dir} LIMIT ? OFFSET ?`,
      ).all(...args, q.limit, q.offset);
      const total = q.count === false ? rows.length : count(`SELECT count(*) AS n FROM liquidations ${where}`, ...args);
      return { rows: rows.map(toLiquidation), total };
    },

    async insertMarketMetrics(rows) {
      return rows.length === 0 ? 0 : writeMetrics(checkedMarketMetrics(rows));
    },
    async queryMarketMetrics(q) {
      const [where, args] = venueOrMarket(q);
      return stmt<MetricRow>(`${METRIC_SELECT} ${where} ORDER BY ts, market_id LIMIT ?`).all(...args, q.limit).map(toMetric);
    },
  };
}

/**
 * WHERE clause for venue-wide or one-market reads (numbered; a plain `?` appended after it takes the next number, so callers add LIMIT ? OFFSET ?).
 * Two distinct statements rather than `(?2 IS NULL OR market_id = ?2)`, which would keep SQLite
 * from using the (venue, market_id, ts) index for one market.
 */
function venueOrMarket(q: { venue: string; marketId?: number; start: number; end: number }): [string, SQLQueryBindings[]] {
  return q.marketId === undefined
    ? ["WHERE venue = ?1 AND ts >= ?2 AND ts < ?3", [q.venue, q.start, q.end]]
    : ["WHERE venue = ?1 AND ts >= ?2 AND ts < ?3 AND market_id = ?4", [q.venue, q.start, q.end, q.marketId]];
}

/**
 * Every number this schema stores is an integer in venue units, ms or an id, and must be a safe
 * integer (the PostgreSQL adapter could not read anything else back). STRICT tables already
 * refuse 1.5; this also refuses 2^53 + 2, which SQLite would store as a rounded integer.
 */
function checkedInts(args: SQLQueryBindings[]): SQLQueryBindings[] {
  for (const a of args) {
    if (typeof a === "number" && !Number.isSafeInteger(a)) throw new RangeError(`${a} is not a safe integer`);
  }
  return args;
}

/** bun:sqlite wraps a bigint past 64 bits silently; refuse it instead of storing a wrong volume. */
function checkedInt64(v: bigint): bigint {
  if (v < INT64_MIN || v > INT64_MAX) throw new RangeError(`quoteVolume ${v} does not fit a 64-bit integer`);
  return v;
}
