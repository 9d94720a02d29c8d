/**
 * Raw baselines for trade ingest benchmarks: the fastest plain way to get the same rows into the
 * same schema, with none of the store's conflict handling, batching logic or partition management.
 *   SQLite:     one prepared single-row INSERT, one transaction per batch;
 *   PostgreSQL: `COPY trades FROM STDIN` per batch, partitions created beforehand (outside timing).
 * Used by bench/ingest.ts (recorder and adapter vs raw).
 */
import { Database } from "bun:sqlite";
import { finished } from "node:stream/promises";
import postgres from "postgres";
import { partitionFor } from "../../src/store/postgres/partitions.postgres.ts";
import { openPostgresStore } from "../../src/store/postgres/index.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import type { Store, TradeRecord } from "../../src/store/ports.ts";

/** One timed ingest: rows found in the table afterwards, and the milliseconds of the writing alone. */
export interface Timed {
  written: number;
  ms: number;
}

/** `count` trades over four markets and two days from 2024-03-01 18:00 UTC (crossing partitions). */
export function syntheticTrades(count: number, firstId = 10_000_000): TradeRecord[] {
  const t0 = Date.UTC(2024, 2, 1, 18);
  const span = 2 * 86_400_000;
  return Array.from({ length: count }, (_, i) => ({
    venue: "lighter", marketId: i % 4, tradeId: firstId + i, ts: t0 + Math.floor((i * span) / count),
    price: 3_000_000 + ((i * 7) % 5_000), size: 1 + ((i * 13) % 900), isMakerAsk: (i & 1) === 0,
    askAccountId: 1_000 + ((i * 31) % 10_000), bidAccountId: 1_000 + ((i * 17) % 10_000), kind: "trade",
  }));
}

/** Splits rows into batches of `size`. */
export const inBatches = <T>(rows: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(rows.length / size) }, (_, b) => rows.slice(b * size, (b + 1) * size));

/** Opens a store and applies its migrations. */
export async function migrated(opening: Promise<Store>): Promise<Store> {
  const store = await opening;
  await store.migrate();
  return store;
}

/** Raw SQLite baseline into a fresh, migrated file at `path` (same schema and pragmas as the adapter). */
export async function rawSqliteInsert(path: string, batches: readonly TradeRecord[][]): Promise<Timed> {
  await (await migrated(openSqliteStore({ path }))).close();
  const db = new Database(path);
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  const insert = db.prepare(
    `INSERT INTO trades (venue, market_id, ts, trade_id, price, size, is_maker_ask, ask_account_id, bid_account_id, kind)
     VALUES (?,?,?,?,?,?,?,?,?,?)`,
  );
  const writeBatch = db.transaction((rows: TradeRecord[]) => {
    for (const t of rows) {
      insert.run(t.venue, t.marketId, t.ts, t.tradeId, t.price, t.size, t.isMakerAsk ? 1 : 0, t.askAccountId, t.bidAccountId, t.kind);
    }
  });
  const start = performance.now();
  for (const b of batches) writeBatch(b);
  const ms = performance.now() - start;
  const written = db.query<{ n: number }, []>("SELECT count(*) AS n FROM trades").get()?.n ?? 0;
  db.close(true);
  return { written, ms };
}

/** Raw PostgreSQL baseline: COPY into a fresh, migrated `schema` (partitions made before timing). */
export async function rawPostgresCopy(url: string, schema: string, batches: readonly TradeRecord[][]): Promise<Timed> {
  await (await migrated(openPostgresStore({ url, schema, max: 1 }))).close();
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
  try {
    // COPY cannot create partitions on the fly: make them first, outside the timing.
    const parts = new Map(batches.flat().map((t) => partitionFor("trades", t.ts)).map((p) => [p.name, p]));
    for (const p of parts.values()) {
      await sql.unsafe(`CREATE TABLE IF NOT EXISTS "${p.name}" PARTITION OF trades FOR VALUES FROM (${p.from}) TO (${p.to})`);
    }
    const start = performance.now();
    for (const b of batches) {
      let text = "";
      for (const t of b) {
        text += `${t.venue}\t${t.marketId}\t${t.ts}\t${t.tradeId}\t${t.price}\t${t.size}\t${t.isMakerAsk ? "t" : "f"}\t${t.askAccountId}\t${t.bidAccountId}\t${t.kind}\n`;
      }
      const copy = await sql`COPY trades (venue, market_id, ts, trade_id, price, size, is_maker_ask, ask_account_id, bid_account_id, kind) FROM STDIN`.writable();
      copy.end(text);
      await finished(copy);
    }
    const ms = performance.now() - start;
    const [row] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM trades`;
    return { written: Number(row?.n ?? 0), ms };
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** True when PostgreSQL answers at `url`; prints why not otherwise. */
export async function postgresReachable(url: string, label: string): Promise<boolean> {
  const admin = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 3 });
  try {
    await admin`SELECT 1`;
    return true;
  } catch (err) {
    console.log(`\n== ${label}: skipped (${url} unreachable: ${String(err)}) ==`);
    return false;
  } finally {
    await admin.end({ timeout: 1 });
  }
}

/** Drops benchmark schemas (CASCADE). */
export async function dropSchemas(url: string, schemas: readonly string[]): Promise<void> {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    for (const s of schemas) await admin.unsafe(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await admin.end({ timeout: 1 });
  }
}

export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
/** min–max of a sample, as "lo–hi". */
export const spread = (xs: readonly number[], digits = 0) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
export const fmtRate = (n: number) => Math.round(n).toLocaleString("en-US").padStart(11);
