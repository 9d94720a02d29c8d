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
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openPostgresStore } from "../src/store/postgres/index.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import type { Store } from "../src/store/ports.ts";
import {
  dropSchemas, fmtRate as fmt, inBatches, median, migrated, postgresReachable, rawPostgresCopy, rawSqliteInsert, syntheticTrades, type Timed,
} from "./lib/raw-ingest.ts";

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
const trades = syntheticTrades(ROWS);
const batches = inBatches(trades, BATCH);

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
      () => rawSqliteInsert(join(dir, `raw-${++n}.db`), batches),
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
  if (!(await postgresReachable(PG_URL, "PostgreSQL"))) return;
  const schemas: string[] = [];
  const fresh = (kind: string) => {
    const s = `bench_${kind}_${process.pid}_${schemas.length}`;
    schemas.push(s);
    return s;
  };
  try {
    await compare(
      "PostgreSQL",
      () => rawPostgresCopy(PG_URL, fresh("raw"), batches),
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
    await dropSchemas(PG_URL, schemas);
  }
}

console.log(`store ingest bench — bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs`);
if (values.backend === "all" || values.backend === "sqlite") await benchSqlite();
if (values.backend === "all" || values.backend === "postgres") await benchPostgres();
