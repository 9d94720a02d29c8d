/**
 * Trade ingest throughput of the store adapters (`insertTrades` in batches, idempotent) against a
 * raw baseline writing the same rows into the same schema in the same run:
 *   SQLite:     one prepared single-row INSERT, one transaction per batch (no conflict handling);
 *   PostgreSQL: `COPY trades FROM STDIN` per batch (no conflict handling, partitions made beforehand).
 * Rounds alternate baseline and adapter, each into fresh storage; medians and the ratio are printed.
 * The adapter then replays its rows (all duplicates) to show the idempotent path's rate as well.
 *
 *   bun bench/store-ingest.ts [--rows 500000] [--batch 5000] [--rounds 3] [--backend sqlite|postgres|all]
 *                             [--pg-url postgres://postgres@127.0.0.1:5432/test]
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { finished } from "node:stream/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { partitionFor } from "../src/store/postgres/partitions.postgres.ts";
import { openPostgresStore } from "../src/store/postgres/index.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import type { Store, TradeRecord } from "../src/store/ports.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "500000" },
    batch: { type: "string", default: "5000" },
    rounds: { type: "string", default: "3" },
    backend: { type: "string", default: "all" },
    "pg-url": { type: "string", default: process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test" },
  },
});
const ROWS = Number(values.rows);
const BATCH = Number(values.batch);
const ROUNDS = Number(values.rounds);
const PG_URL = values["pg-url"];

// Four markets, timestamps over two days from 2024-03-01 18:00 UTC: the run crosses partition
// boundaries as live ingest does.
const T0 = Date.UTC(2024, 2, 1, 18);
const SPAN = 2 * 86_400_000;
const trades: TradeRecord[] = Array.from({ length: ROWS }, (_, i) => ({
  venue: "lighter", marketId: i % 4, tradeId: 10_000_000 + i, ts: T0 + Math.floor((i * SPAN) / ROWS),
  price: 3_000_000 + ((i * 7) % 5_000), size: 1 + ((i * 13) % 900), isMakerAsk: (i & 1) === 0,
  askAccountId: 1_000 + ((i * 31) % 10_000), bidAccountId: 1_000 + ((i * 17) % 10_000), kind: "trade",
}));
const batches = Array.from({ length: Math.ceil(ROWS / BATCH) }, (_, b) => trades.slice(b * BATCH, (b + 1) * BATCH));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(11);

/** One timed ingest: rows written and the milliseconds of the writing alone (setup excluded). */
interface Timed {
  written: number;
  ms: number;
}

/** Rows per second of a run, after checking it wrote every row exactly once. */
async function rate(run: () => Promise<Timed>): Promise<number> {
  const { written, ms } = await run();
  if (written !== ROWS) throw new Error(`wrote ${written} rows, expected ${ROWS}`);
  return ROWS / (ms / 1000);
}

/** Replay rates (every row a duplicate) per backend label, printed after the comparison. */
const replayRates: number[] = [];

/** Ingests every batch, then (untimed for the ratio) replays them all: the idempotent path. */
async function adapterIngest(store: Store): Promise<Timed> {
  let written = 0;
  const start = performance.now();
  for (const b of batches) written += await store.marketData.insertTrades(b);
  const ms = performance.now() - start;
  const replayStart = performance.now();
  let duplicatesAdded = 0;
  for (const b of batches) duplicatesAdded += await store.marketData.insertTrades(b);
  if (duplicatesAdded !== 0) throw new Error(`replay added ${duplicatesAdded} rows`);
  replayRates.push(ROWS / ((performance.now() - replayStart) / 1000));
  return { written, ms };
}

async function compare(label: string, raw: () => Promise<Timed>, adapter: () => Promise<Timed>) {
  const rawRates: number[] = [];
  const adapterRates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    rawRates.push(await rate(raw));
    adapterRates.push(await rate(adapter));
  }
  const [b, c] = [median(rawRates), median(adapterRates)];
  console.log(`\n== ${label}: ${ROWS.toLocaleString("en-US")} trades, batches of ${BATCH}, median of ${ROUNDS} alternating rounds ==`);
  console.log(`raw baseline    ${fmt(b)} rows/s   (rounds: ${rawRates.map((x) => Math.round(x)).join(", ")})`);
  console.log(`adapter         ${fmt(c)} rows/s   (rounds: ${adapterRates.map((x) => Math.round(x)).join(", ")})`);
  console.log(`ratio adapter / raw: ${(c / b).toFixed(3)}x`);
  console.log(`adapter replay  ${fmt(median(replayRates))} rows/s   (same rows again, all duplicates: 0 added)`);
  replayRates.length = 0;
}

async function benchSqlite(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "hl-bench-store-"));
  let n = 0;
  try {
    await compare(
      "SQLite",
      async () => {
        const path = join(dir, `raw-${++n}.db`);
        await (await migrated(openSqliteStore({ path }))).close(); // same schema as the adapter's
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
      },
      async () => {
        const store = await migrated(openSqliteStore({ path: join(dir, `adapter-${++n}.db`) }));
        try {
          return await adapterIngest(store);
        } finally {
          await store.close();
        }
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchPostgres(): Promise<void> {
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {}, connect_timeout: 3 });
  try {
    await admin`SELECT 1`;
  } catch (err) {
    console.log(`\n== PostgreSQL: skipped (${PG_URL} unreachable: ${String(err)}) ==`);
    await admin.end({ timeout: 1 });
    return;
  }
  const schemas: string[] = [];
  const fresh = (kind: string) => {
    const s = `bench_${kind}_${process.pid}_${schemas.length}`;
    schemas.push(s);
    return s;
  };
  try {
    await compare(
      "PostgreSQL",
      async () => {
        const schema = fresh("raw");
        await (await migrated(openPostgresStore({ url: PG_URL, schema, max: 1 }))).close();
        const sql = postgres(PG_URL, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
        // COPY cannot create partitions on the fly: make them first, outside the timing.
        const parts = new Map(trades.map((t) => partitionFor("trades", t.ts)).map((p) => [p.name, p]));
        for (const p of parts.values()) {
          await sql.unsafe(`CREATE TABLE "${p.name}" PARTITION OF trades FOR VALUES FROM (${p.from}) TO (${p.to})`);
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
        await sql.end({ timeout: 1 });
        return { written: Number(row?.n ?? 0), ms };
      },
      async () => {
        const store = await migrated(openPostgresStore({ url: PG_URL, schema: fresh("adapter"), max: 4 }));
        try {
          return await adapterIngest(store);
        } finally {
          await store.close();
        }
      },
    );
  } finally {
    for (const s of schemas) await admin.unsafe(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await admin.end({ timeout: 1 });
  }
}

async function migrated(opening: Promise<Store>): Promise<Store> {
  const store = await opening;
  await store.migrate();
  return store;
}

console.log(`store ingest bench — bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs`);
if (values.backend === "all" || values.backend === "sqlite") await benchSqlite();
if (values.backend === "all" || values.backend === "postgres") await benchPostgres();
