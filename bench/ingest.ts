/**
 * Ingest through the recorder — the path live trades take: `recordTrades` in feed-sized chunks,
 * buffered, batched and written by the recorder's store lane through the store adapter — against a
 * raw insert of the same rows into the same schema, measured in the same run, rounds alternating:
 *   SQLite:     prepared single-row INSERT, one transaction per batch (bench/lib/raw-ingest.ts);
 *   PostgreSQL: COPY per batch into a unique schema, dropped afterwards.
 * The recorder is fed as fast as it absorbs rows without passing its memory bound (so nothing is
 * spilled to the journal: checked), and timed until every row is in the store (`whenIdle`).
 * Target: recorder ≥ 0.45× raw.
 *
 *   bun bench/ingest.ts [--rows 200000] [--batch 1000] [--raw-batch <batch>] [--chunk 50] [--rounds 3]
 *                       [--backend sqlite|postgres|all] [--pg-url postgres://postgres@127.0.0.1:5432/test]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createRecorder } from "../src/recorder";
import { openPostgresStore } from "../src/store/postgres/index.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import type { Store } from "../src/store/ports.ts";
import {
  dropSchemas, fmtRate, inBatches, median, migrated, postgresReachable, rawPostgresCopy, rawSqliteInsert, spread, syntheticTrades, type Timed,
} from "./lib/raw-ingest.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200000" },
    batch: { type: "string", default: "1000" },
    "raw-batch": { type: "string" },
    chunk: { type: "string", default: "50" },
    rounds: { type: "string", default: "3" },
    backend: { type: "string", default: "all" },
    "pg-url": { type: "string", default: process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test" },
  },
});
const ROWS = Number(values.rows);
/** The recorder's rows per store call (its `batchRows`; the service uses the default, 1000). */
const BATCH = Number(values.batch);
/** The raw baseline's rows per transaction / COPY (default: the same as the recorder's). */
const RAW_BATCH = Number(values["raw-batch"] ?? values.batch);
/** Rows per `recordTrades` call (one venue frame carries a handful to a few dozen). */
const CHUNK = Number(values.chunk);
const ROUNDS = Number(values.rounds);
const PG_URL = values["pg-url"];

const trades = syntheticTrades(ROWS);
const batches = inBatches(trades, RAW_BATCH);
const chunks = inBatches(trades, CHUNK);
const recorderBatches = inBatches(trades, BATCH);
const HIGH_WATER = 20 * BATCH;

/** Waits a millisecond: a feed is idle between frames (a busy-wait would steal the writer's CPU). */
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

/** Feeds every chunk to a recorder over `store`, then waits until all rows are in the store. */
async function throughRecorder(store: Store, dataDir: string): Promise<Timed> {
  const recorder = createRecorder({ store: store.marketData, dataDir, batchRows: BATCH });
  const start = performance.now();
  for (const c of chunks) {
    recorder.recordTrades(c);
    // A live feed never hands over more than the recorder drains: stay under the memory bound.
    while (recorder.stats().bufferedRows > HIGH_WATER) await pause();
  }
  await recorder.whenIdle();
  const ms = performance.now() - start;
  const stats = recorder.stats();
  await recorder.close();
  if (stats.rowsJournaled !== 0) throw new Error(`the recorder spilled ${stats.rowsJournaled} rows to its journal: not a healthy-store run`);
  let written = 0;
  for (let marketId = 0; marketId < 4; marketId++) {
    written += (await store.marketData.queryTrades({ venue: "lighter", marketId, start: 0, end: Number.MAX_SAFE_INTEGER, limit: 1, offset: 0 })).total;
  }
  return { written, ms };
}

/** The adapter alone, batches of BATCH written one after another (what the store lane calls). */
async function direct(store: Store): Promise<Timed> {
  const start = performance.now();
  let written = 0;
  for (const b of recorderBatches) written += await store.marketData.insertTrades(b);
  return { written, ms: performance.now() - start };
}

async function rate(run: () => Promise<Timed>): Promise<number> {
  const { written, ms } = await run();
  if (written !== ROWS) throw new Error(`wrote ${written} rows, expected ${ROWS}`);
  return ROWS / (ms / 1000);
}

async function compare(label: string, raw: () => Promise<Timed>, recorder: () => Promise<Timed>, adapter: () => Promise<Timed>) {
  const rawRates: number[] = [];
  const recRates: number[] = [];
  const adapterRates: number[] = [];
  const ratios: number[] = [];
  // One untimed warm-up of each (JIT, page cache, connection setup).
  await raw();
  await recorder();
  for (let r = 0; r < ROUNDS; r++) {
    rawRates.push(await rate(raw));
    recRates.push(await rate(recorder));
    adapterRates.push(await rate(adapter));
    ratios.push(recRates[r]! / rawRates[r]!);
  }
  const [b, c] = [median(rawRates), median(recRates)];
  console.log(`\n== ${label}: ${ROWS.toLocaleString("en-US")} trades, chunks of ${CHUNK} into the recorder, recorder batches of ${BATCH}, raw batches of ${RAW_BATCH}; ${ROUNDS} alternating rounds ==`);
  console.log(`raw baseline    ${fmtRate(b)} rows/s   median; rounds ${rawRates.map((x) => Math.round(x)).join(", ")}`);
  console.log(`recorder        ${fmtRate(c)} rows/s   median; rounds ${recRates.map((x) => Math.round(x)).join(", ")}`);
  console.log(`adapter direct  ${fmtRate(median(adapterRates))} rows/s   median; rounds ${adapterRates.map((x) => Math.round(x)).join(", ")}   (insertTrades, batches of ${BATCH}, no recorder: for diagnosis)`);
  console.log(`ratio recorder / raw: ${(c / b).toFixed(3)}x   (per-round ratios ${spread(ratios, 3)}; target ≥ 0.45x)`);
  return c / b;
}

async function benchSqlite(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "hl-bench-ingest-"));
  let n = 0;
  try {
    await compare(
      "SQLite",
      () => rawSqliteInsert(join(dir, `raw-${++n}.db`), batches),
      async () => {
        const run = join(dir, `rec-${++n}`);
        const store = await migrated(openSqliteStore({ path: `${run}.db` }));
        try {
          return await throughRecorder(store, run);
        } finally {
          await store.close();
        }
      },
      async () => {
        const store = await migrated(openSqliteStore({ path: join(dir, `direct-${++n}.db`) }));
        try {
          return await direct(store);
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
  const dir = mkdtempSync(join(tmpdir(), "hl-bench-ingest-pg-"));
  const schemas: string[] = [];
  const fresh = (kind: string) => {
    const s = `bench_ingest_${kind}_${process.pid}_${schemas.length}`;
    schemas.push(s);
    return s;
  };
  try {
    await compare(
      "PostgreSQL",
      () => rawPostgresCopy(PG_URL, fresh("raw"), batches),
      async () => {
        const schema = fresh("rec");
        const store = await migrated(openPostgresStore({ url: PG_URL, schema }));
        try {
          return await throughRecorder(store, join(dir, schema));
        } finally {
          await store.close();
        }
      },
      async () => {
        const store = await migrated(openPostgresStore({ url: PG_URL, schema: fresh("direct") }));
        try {
          return await direct(store);
        } finally {
          await store.close();
        }
      },
    );
  } finally {
    await dropSchemas(PG_URL, schemas);
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`recorder ingest bench — bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs`);
if (values.backend === "all" || values.backend === "sqlite") await benchSqlite();
if (values.backend === "all" || values.backend === "postgres") await benchPostgres();
