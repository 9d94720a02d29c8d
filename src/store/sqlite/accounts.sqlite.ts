/**
 * AccountsStore on bun:sqlite. Statements are prepared lazily and reused; writes are one
 * transaction per call.
 *
 * "The newest N rows of each of these accounts" is one statement: the account ids arrive as one
 * JSON array (json_each; CROSS JOIN keeps it the outer loop — left to itself the planner scans
 * the venue's fills instead), and for each the correlated subquery finds the ts of its N-th newest row
 * in range with a backwards walk of the primary key; the outer join then reads the rows at or
 * after that ts — a range of about N rows per account. Rows that tie with the N-th on ts come
 * along too; the adapter trims each account to N.
 */
import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import type { AccountFillRecord, AccountsStore, HeatmapTotalsRecord, PnlSnapshotRecord, TrackedAccountRecord } from "../accounts.port.ts";
import { checkedHeatmapTotals, trimPerAccount } from "../accounts.shared.ts";
import {
  type FillRow, type PnlRow, type HeatRow, type TrackedRow, type LiqRow, toFill, toPnl, toHeat, toTracked, toLiq,
} from "../accounts.shared.ts";



const FILL_COLUMNS = "venue, account_id, ts, market_id, trade_id, role, side, price, size, kind, fee, realized_pnl";

/** Newest-N-per-account over `table` keyed (venue, account_id, ts, …); ?1 ids JSON, ?2 venue, ?3 start, ?4 end, ?5 N. */
const perAccountSql = (table: string, columns: string, order: string) => `
  SELECT ${columns} FROM json_each(?1) AS j
  CROSS JOIN ${table} AS f ON f.venue = ?2 AND f.account_id = j.value AND f.ts < ?4
   AND f.ts >= COALESCE((SELECT g.ts FROM ${table} AS g WHERE g.venue = ?2 AND g.account_id = j.value AND g.ts >= ?3 AND g.ts < ?4
                          ORDER BY g.ts DESC LIMIT 1 OFFSET ?5 - 1), ?3)
  ORDER BY f.account_id, ${order}`;

/** Creates the adapter over an open database. */
export function createSqliteAccounts(db: Database): AccountsStore {
  const cache = new Map<string, Statement>();
  const stmt = <R = unknown>(sql: string): Statement<R, SQLQueryBindings[]> => {
    let s = cache.get(sql);
    if (!s) cache.set(sql, (s = db.prepare(sql)));
    return s as unknown as Statement<R, SQLQueryBindings[]>;
  };
  const batch = <T>(sql: string, bind: (row: T) => SQLQueryBindings[]) =>
    db.transaction((rows: readonly T[]): number => {
      const s = stmt(sql);
      let changed = 0;
      for (const row of rows) changed += s.run(...bind(row)).changes;
      return changed;
    });

  const writeFills = batch<AccountFillRecord>(
    `INSERT INTO account_fills (${FILL_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
    (f) => [f.venue, f.accountId, f.ts, f.marketId, f.tradeId, f.role, f.side, f.price, f.size, f.kind, f.fee, f.realizedPnl],
  );
  const writePnl = batch<PnlSnapshotRecord>(
    `INSERT INTO pnl_snapshots (venue, account_id, ts, equity, collateral, unrealized_pnl, realized_pnl, funding_paid, notional, positions)
     VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
    (p) => [p.venue, p.accountId, p.ts, p.equity, p.collateral, p.unrealizedPnl, p.realizedPnl, p.fundingPaid, p.notional, p.positions],
  );
  const writeHeat = batch<HeatmapTotalsRecord>(
    `INSERT INTO heatmap_totals (venue, market_id, ts, mark_price, long_usd, short_usd, long_near_usd, short_near_usd, long_positions, short_positions, accounts)
     VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
    (h) => [h.venue, h.marketId, h.ts, h.markPrice, h.longUsd, h.shortUsd, h.longNearUsd, h.shortNearUsd, h.longPositions, h.shortPositions, h.accounts],
  );
  const writeTracked = batch<TrackedAccountRecord>(
    `INSERT INTO tracked_accounts (venue, account_id, l1_address, first_seen, updated_at, state) VALUES (?,?,?,?,?,?)
     ON CONFLICT (venue, account_id) DO UPDATE SET
       l1_address = COALESCE(excluded.l1_address, tracked_accounts.l1_address),
       state = COALESCE(excluded.state, tracked_accounts.state),
       updated_at = MAX(excluded.updated_at, tracked_accounts.updated_at)`,
    (a) => [a.venue, a.accountId, a.l1Address, a.firstSeen, a.updatedAt, a.state],
  );
  const ids = (accountIds: readonly number[]) => JSON.stringify([...new Set(accountIds)]);

  return {
    async insertFills(rows) {
      return rows.length === 0 ? 0 : writeFills(rows);
    },
    async recentFills(q) {
      if (q.accountIds.length === 0 || q.perAccount <= 0) return [];
      const sql = perAccountSql("account_fills", FILL_COLUMNS.split(", ").map((c) => `f.${c}`).join(", "), "f.ts DESC, f.market_id DESC, f.trade_id DESC, f.role");
      const rows = stmt<FillRow>(sql).all(ids(q.accountIds), q.venue, q.start, q.end, q.perAccount);
      return trimPerAccount(rows.map(toFill), q.perAccount);
    },
    async queryFills(q) {
      const market = q.marketId === undefined ? "" : " AND market_id = ?";
      const params: SQLQueryBindings[] = [q.venue, q.accountId, q.start, q.end, ...(q.marketId === undefined ? [] : [q.marketId])];
      const where = `WHERE venue = ? AND account_id = ? AND ts >= ? AND ts < ?${market}`;
      const total = stmt<{ n: number }>(`SELECT count(*) AS n FROM account_fills ${where}`).get(...params)?.n ?? 0;
      const rows = stmt<FillRow>(`SELECT ${FILL_COLUMNS} FROM account_fills ${where} ORDER BY ts DESC, market_id DESC, trade_id DESC, role LIMIT ? OFFSET ?`)
        .all(...params, q.limit, q.offset);
      return { rows: rows.map(toFill), total };
    },
    async insertPnlSnapshots(rows) {
      return rows.length === 0 ? 0 : writePnl(rows);
    },
    async queryPnlSnapshots(q) {
      return stmt<PnlRow>("SELECT * FROM pnl_snapshots WHERE venue = ? AND account_id = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?")
        .all(q.venue, q.accountId, q.start, q.end, q.limit).map(toPnl);
    },
    async insertHeatmapTotals(rows) {
      return rows.length === 0 ? 0 : writeHeat(checkedHeatmapTotals(rows));
    },
    async queryHeatmapTotals(q) {
      return stmt<HeatRow>("SELECT * FROM heatmap_totals WHERE venue = ? AND market_id = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?")
        .all(q.venue, q.marketId, q.start, q.end, q.limit).map(toHeat);
    },
    async upsertTrackedAccounts(rows) {
      if (rows.length > 0) writeTracked(rows);
    },
    async listTrackedAccounts(venue) {
      return stmt<TrackedRow>("SELECT * FROM tracked_accounts WHERE venue = ? ORDER BY account_id").all(venue).map(toTracked);
    },
    async recentLiquidations(q) {
      if (q.accountIds.length === 0 || q.perAccount <= 0) return [];
      const cols = "f.venue, f.market_id, f.id, f.ts, f.account_id, f.side, f.price, f.size, f.kind";
      const rows = stmt<LiqRow>(perAccountSql("liquidations", cols, "f.ts DESC, f.market_id DESC, f.id DESC")).all(ids(q.accountIds), q.venue, q.start, q.end, q.perAccount);
      return trimPerAccount(rows.map(toLiq), q.perAccount);
    },
  };
}
