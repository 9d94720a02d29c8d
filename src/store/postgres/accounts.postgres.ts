/**
 * AccountsStore on PostgreSQL. Batch writes send each column as one array and unnest it (one
 * statement per call, whatever the batch size). "The newest N rows of each of these accounts" is
 * one statement: the ids as one array, and a LATERAL subquery per id that walks the primary key
 * backwards and stops after N rows. account_fills is partitioned by month (migration 006): the
 * partitions a batch of fills falls into are created before it is written.
 */
import type { AccountsStore, TrackedAccountRecord } from "../accounts.port.ts";
import { checkedHeatmapTotals } from "../accounts.shared.ts";
import {
  type FillRow, type PnlRow, type HeatRow, type TrackedRow, type LiqRow, toFill, toPnl, toHeat, toTracked, toLiq,
} from "../accounts.shared.ts";

import { type Pool, arrayLiterals, textElement } from "./client.postgres.ts";
import type { Partitions } from "./partitions.postgres.ts";


/** `{1,2,3}` of distinct ids (int8[] literal). */
const idArray = (ids: readonly number[]): string => `{${[...new Set(ids)].join(",")}}`;
const nullableInt = (v: number | null): string => {
  if (v !== null && !Number.isSafeInteger(v)) throw new RangeError(`${v} is not a safe integer`);
  return v === null ? "NULL" : String(v);
};

/** Creates the adapter over a pool; fills go through `partitions` (account_fills is partitioned by month). */
export function createPostgresAccounts(sql: Pool, partitions: Partitions): AccountsStore {
  return {
    async insertFills(rows) {
      if (rows.length === 0) return 0;
      const c = arrayLiterals(rows, {
        venue: (f) => textElement(f.venue), account: (f) => f.accountId, ts: (f) => f.ts, market: (f) => f.marketId, trade: (f) => f.tradeId,
        role: (f) => textElement(f.role), side: (f) => textElement(f.side), price: (f) => f.price, size: (f) => f.size,
        kind: (f) => textElement(f.kind), fee: (f) => f.fee, realized: (f) => nullableInt(f.realizedPnl),
      });
      return partitions.write("account_fills", rows, async () => (await sql`
        INSERT INTO account_fills (venue, account_id, ts, market_id, trade_id, role, side, price, size, kind, fee, realized_pnl)
        SELECT * FROM unnest(${c.venue}::text[], ${c.account}::int8[], ${c.ts}::int8[], ${c.market}::int4[], ${c.trade}::int8[],
          ${c.role}::text[], ${c.side}::text[], ${c.price}::int8[], ${c.size}::int8[], ${c.kind}::text[], ${c.fee}::int8[], ${c.realized}::int8[])
        ON CONFLICT DO NOTHING`).count);
    },
    async recentFills(q) {
      if (q.accountIds.length === 0 || q.perAccount <= 0) return [];
      const rows = await sql<FillRow[]>`
        SELECT f.* FROM unnest(${idArray(q.accountIds)}::int8[]) AS a(id)
        CROSS JOIN LATERAL (
          SELECT * FROM account_fills WHERE venue = ${q.venue} AND account_id = a.id AND ts >= ${q.start} AND ts < ${q.end}
          ORDER BY ts DESC, market_id DESC, trade_id DESC, role LIMIT ${q.perAccount}) AS f
        ORDER BY f.account_id, f.ts DESC, f.market_id DESC, f.trade_id DESC, f.role`;
      return rows.map(toFill);
    },
    async queryFills(q) {
      const where = sql`WHERE venue = ${q.venue} AND account_id = ${q.accountId} AND ts >= ${q.start} AND ts < ${q.end}
        ${q.marketId === undefined ? sql`` : sql`AND market_id = ${q.marketId}`}`;
      const [[counted], rows] = await Promise.all([
        sql<{ n: number }[]>`SELECT count(*) AS n FROM account_fills ${where}`,
        sql<FillRow[]>`SELECT * FROM account_fills ${where} ORDER BY ts DESC, market_id DESC, trade_id DESC, role LIMIT ${q.limit} OFFSET ${q.offset}`,
      ]);
      return { rows: rows.map(toFill), total: counted?.n ?? 0 };
    },
    async insertPnlSnapshots(rows) {
      if (rows.length === 0) return 0;
      const c = arrayLiterals(rows, {
        venue: (p) => textElement(p.venue), account: (p) => p.accountId, ts: (p) => p.ts, equity: (p) => p.equity, collateral: (p) => p.collateral,
        unrealized: (p) => p.unrealizedPnl, realized: (p) => p.realizedPnl, funding: (p) => p.fundingPaid, notional: (p) => p.notional,
        positions: (p) => p.positions,
      });
      return (await sql`
        INSERT INTO pnl_snapshots (venue, account_id, ts, equity, collateral, unrealized_pnl, realized_pnl, funding_paid, notional, positions)
        SELECT * FROM unnest(${c.venue}::text[], ${c.account}::int8[], ${c.ts}::int8[], ${c.equity}::int8[], ${c.collateral}::int8[],
          ${c.unrealized}::int8[], ${c.realized}::int8[], ${c.funding}::int8[], ${c.notional}::int8[], ${c.positions}::int4[])
        ON CONFLICT DO NOTHING`).count;
    },
    async queryPnlSnapshots(q) {
      const rows = await sql<PnlRow[]>`SELECT * FROM pnl_snapshots WHERE venue = ${q.venue} AND account_id = ${q.accountId}
        AND ts >= ${q.start} AND ts < ${q.end} ORDER BY ts LIMIT ${q.limit}`;
      return rows.map(toPnl);
    },
    async insertHeatmapTotals(rows) {
      if (rows.length === 0) return 0;
      const c = arrayLiterals(checkedHeatmapTotals(rows), {
        venue: (h) => textElement(h.venue), market: (h) => h.marketId, ts: (h) => h.ts, mark: (h) => h.markPrice,
        long: (h) => textElement(h.longUsd), short: (h) => textElement(h.shortUsd), longNear: (h) => textElement(h.longNearUsd),
        shortNear: (h) => textElement(h.shortNearUsd), longN: (h) => h.longPositions, shortN: (h) => h.shortPositions, accounts: (h) => h.accounts,
      });
      // DISTINCT ON keeps the first row of a key within the batch (one statement may not insert a key twice).
      return (await sql`
        INSERT INTO heatmap_totals (venue, market_id, ts, mark_price, long_usd, short_usd, long_near_usd, short_near_usd, long_positions, short_positions, accounts)
        SELECT DISTINCT ON (v, m, t) v, m, t, mp, l, s, ln, sn, lp, sp, a FROM unnest(${c.venue}::text[], ${c.market}::int4[], ${c.ts}::int8[], ${c.mark}::int8[], ${c.long}::text[],
          ${c.short}::text[], ${c.longNear}::text[], ${c.shortNear}::text[], ${c.longN}::int4[], ${c.shortN}::int4[], ${c.accounts}::int4[])
          WITH ORDINALITY AS u(v, m, t, mp, l, s, ln, sn, lp, sp, a, o)
        ORDER BY v, m, t, o
        ON CONFLICT DO NOTHING`).count;
    },
    async queryHeatmapTotals(q) {
      const rows = await sql<HeatRow[]>`SELECT * FROM heatmap_totals WHERE venue = ${q.venue} AND market_id = ${q.marketId}
        AND ts >= ${q.start} AND ts < ${q.end} ORDER BY ts LIMIT ${q.limit}`;
      return rows.map(toHeat);
    },
    async upsertTrackedAccounts(rows) {
      if (rows.length === 0) return;
      // One statement may not update a row twice: versions of an account within the batch are
      // merged first, by the same rules the upsert applies against the stored row.
      const merged = new Map<string, TrackedAccountRecord>();
      for (const r of rows) {
        const k = `${r.venue}\u0000${r.accountId}`;
        const seen = merged.get(k);
        merged.set(k, seen ? { ...seen, l1Address: r.l1Address ?? seen.l1Address, state: r.state ?? seen.state, updatedAt: Math.max(seen.updatedAt, r.updatedAt) } : r);
      }
      const latest = [...merged.values()];
      const c = arrayLiterals(latest, {
        venue: (a) => textElement(a.venue), account: (a) => a.accountId, address: (a) => (a.l1Address === null ? "NULL" : textElement(a.l1Address)),
        first: (a) => a.firstSeen, updated: (a) => a.updatedAt, state: (a) => (a.state === null ? "NULL" : textElement(a.state)),
      });
      await sql`
        INSERT INTO tracked_accounts (venue, account_id, l1_address, first_seen, updated_at, state)
        SELECT * FROM unnest(${c.venue}::text[], ${c.account}::int8[], ${c.address}::text[], ${c.first}::int8[], ${c.updated}::int8[], ${c.state}::text[])
        ON CONFLICT (venue, account_id) DO UPDATE SET
          l1_address = COALESCE(EXCLUDED.l1_address, tracked_accounts.l1_address),
          state = COALESCE(EXCLUDED.state, tracked_accounts.state),
          updated_at = GREATEST(EXCLUDED.updated_at, tracked_accounts.updated_at)`;
    },
    async listTrackedAccounts(venue) {
      const rows = await sql<TrackedRow[]>`SELECT * FROM tracked_accounts WHERE venue = ${venue} ORDER BY account_id`;
      return rows.map(toTracked);
    },
    async recentLiquidations(q) {
      if (q.accountIds.length === 0 || q.perAccount <= 0) return [];
      const rows = await sql<LiqRow[]>`
        SELECT l.* FROM unnest(${idArray(q.accountIds)}::int8[]) AS a(id)
        CROSS JOIN LATERAL (
          SELECT * FROM liquidations WHERE venue = ${q.venue} AND account_id = a.id AND ts >= ${q.start} AND ts < ${q.end}
          ORDER BY ts DESC, market_id DESC, id DESC LIMIT ${q.perAccount}) AS l
        ORDER BY l.account_id, l.ts DESC, l.market_id DESC, l.id DESC`;
      return rows.map(toLiq);
    },
  };
}
