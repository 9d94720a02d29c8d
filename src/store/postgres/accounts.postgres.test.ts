/**
 * account_fills on PostgreSQL is partitioned by month (migration 006): a database upgraded from
 * the unpartitioned table keeps its fills, moved into the month partitions the adapter itself
 * would create, and new fills in any month land in partitions created on demand.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { POSTGRES_MIGRATIONS } from "../migrations/index.ts";
import type { AccountFillRecord } from "../accounts.port.ts";
import { hasPostgres, PG_URL, uniqueName } from "../../../test/support/services.ts";
import { createPool, quoteIdent } from "./client.postgres.ts";
import { ensureSchema, migratePostgres } from "./migrate.postgres.ts";
import { createPostgresAccounts } from "./accounts.postgres.ts";
import { Partitions, partitionFor } from "./partitions.postgres.ts";

const V = "lighter";
const fill = (accountId: number, tradeId: number, ts: number): AccountFillRecord => ({
  venue: V, accountId, marketId: 0, tradeId, ts, side: "buy", role: "taker", price: 300_000, size: 10, kind: "trade", fee: 1, realizedPnl: null,
});
const JAN = Date.UTC(2026, 0, 31, 23, 59);
const FEB = Date.UTC(2026, 1, 1, 0, 1);
const MAR = Date.UTC(2026, 2, 15);

describe.skipIf(!hasPostgres)("account_fills partitions (postgres)", () => {
  const schema = uniqueName("acct_fills");
  const sql = createPool({ url: PG_URL, schema, max: 2 });
  const before006 = POSTGRES_MIGRATIONS.filter((m) => m.name !== "account_fills_partitioned");

  beforeAll(async () => {
    await ensureSchema(sql, quoteIdent(schema));
    // The schema as it was before 006, with fills in two months written into the plain table.
    await migratePostgres(sql, before006);
    await sql`INSERT INTO account_fills (venue, account_id, ts, market_id, trade_id, role, side, price, size, kind, fee, realized_pnl)
      VALUES (${V}, 1, ${JAN}, 0, 1, 'taker', 'buy', 300000, 10, 'trade', 1, NULL), (${V}, 1, ${FEB}, 0, 2, 'taker', 'buy', 300000, 10, 'trade', 1, NULL)`;
  });
  afterAll(async () => {
    await sql.unsafe(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await sql.end({ timeout: 1 });
  });

  test("the upgrade moves stored fills into month partitions named as the adapter names them", async () => {
    expect(before006.length).toBe(POSTGRES_MIGRATIONS.length - 1);
    const { applied } = await migratePostgres(sql, POSTGRES_MIGRATIONS);
    expect(applied).toEqual(["006_account_fills_partitioned"]);
    const parts = await sql<{ name: string }[]>`
      SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace n ON n.oid = p.relnamespace WHERE p.relname = 'account_fills' AND n.nspname = ${schema} ORDER BY 1`;
    expect(parts.map((p) => p.name)).toEqual([partitionFor("account_fills", JAN).name, partitionFor("account_fills", FEB).name]);
    expect(parts.map((p) => p.name)).toEqual(["account_fills_p202601", "account_fills_p202602"]);
    const store = createPostgresAccounts(sql, new Partitions(sql));
    const rows = await store.recentFills({ venue: V, accountIds: [1], start: 0, end: MAR * 2, perAccount: 10 });
    expect(rows.map((r) => r.tradeId)).toEqual([2, 1]);
  });

  test("new fills create their month's partition on demand; duplicates are still ignored", async () => {
    const store = createPostgresAccounts(sql, new Partitions(sql));
    expect(await store.insertFills([fill(1, 2, FEB), fill(1, 3, MAR), fill(2, 4, MAR)])).toBe(2);
    const [counted] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM ${sql(partitionFor("account_fills", MAR).name)}`;
    expect(counted?.n).toBe(2);
    const page = await store.queryFills({ venue: V, accountId: 1, start: JAN, end: MAR + 1, limit: 10, offset: 0 });
    expect(page.rows.map((r) => r.tradeId)).toEqual([3, 2, 1]);
    expect(page.total).toBe(3);
  });
});
