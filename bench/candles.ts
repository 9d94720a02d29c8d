/**
 * GET /api/v1/candles through the full stack (Elysia app, request ids, API-key auth and metering,
 * validation, envelope, logging, metrics, store adapter, decimal formatting) for
 *   - 10,000 1m candles (the per-request maximum), and
 *   - a year of 1h candles (8,760 bars, served from the stored 1h rollups),
 * against a raw baseline measured alternately in the same run: a plain Bun.serve that reads the
 * same stored rows from the same SQLite file with a prepared SELECT and answers JSON.stringify(rows).
 * Rows are seeded straight into the service's SQLite store. Target: full stack within 1.5× of raw
 * (req/s ratio ≥ 0.667). Both sides read the rows from the store on every request; after the first
 * request the full stack reuses the encoded bytes of bars that read back unchanged
 * (src/http/routes/trades/candle-chunks.ts), which is the steady state of clients polling a window.
 *
 *   bun bench/candles.ts [--rounds 3] [--seconds 3] [--connections 4]
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/lib/log";
import { createLiveMarkets, type MarketInfo } from "../src/market/live";
import { startService } from "../src/service";
import type { CandleRecord, CandleResolution } from "../src/store/ports";
import { provisionApiKey, TEST_ADMIN_TOKEN } from "../test/support/api-key";
import { compare } from "./lib/compare";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "3" },
    connections: { type: "string", default: "4" },
  },
});
const opts = { rounds: Number(values.rounds), seconds: Number(values.seconds), connections: Number(values.connections) };

const MIN = 60_000;
const HOUR = 60 * MIN;
const END = Date.UTC(2026, 0, 15, 12, 0, 0);
const ETH: MarketInfo = {
  venue: "lighter", marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, status: "active",
  minInitialMarginFraction: 200, maintenanceMarginFraction: 120, closeoutMarginFraction: 80,
};

/** `count` bars of `resolution` ending at END, with a random walk of realistic ETH values. */
function bars(resolution: CandleResolution, barMs: number, count: number): CandleRecord[] {
  let price = 300_000;
  let seed = 12_345;
  const rnd = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % n);
  return Array.from({ length: count }, (_, i) => {
    const open = price;
    price = Math.max(1_000, price + rnd(2_001) - 1_000);
    const high = Math.max(open, price) + rnd(300);
    const low = Math.min(open, price) - rnd(300);
    const volume = 1_000 + rnd(50_000_000);
    const trades = 1 + rnd(5_000);
    return {
      venue: "lighter", marketId: 0, resolution, openTime: END - (count - i) * barMs, open, high, low, close: price,
      volume, quoteVolume: BigInt(volume) * BigInt(Math.floor((high + low) / 2)), tradeCount: trades, buyVolume: Math.floor(volume / 2),
    };
  });
}

const dataDir = mkdtempSync(join(tmpdir(), "hl-bench-candles-"));
const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, ROLE: "api", LOG_LEVEL: "info", ADMIN_TOKEN: TEST_ADMIN_TOKEN });
// The full stack logs every request as usual; lines go to a sink that discards them.
const service = await startService(config, { log: createLogger({ level: "info", sink: { write() {} } }) });
const oneMinute = bars("1m", MIN, 10_000);
const oneHour = bars("1h", HOUR, 8_760);
for (let i = 0; i < oneMinute.length; i += 1000) await service.deps.store.marketData.upsertCandles(oneMinute.slice(i, i + 1000));
for (let i = 0; i < oneHour.length; i += 1000) await service.deps.store.marketData.upsertCandles(oneHour.slice(i, i + 1000));
// The market catalog normally comes from the ingest node through the cache.
await createLiveMarkets(service.deps.cache).putMarkets("lighter", [ETH]);
// /api/v1 needs an API key: an enterprise key (no rate limit, no credit cap) made by the operator route.
const headers = { "x-api-key": await provisionApiKey(service.url, "bench@example.com") };

// Raw: the same rows from the same file, a prepared statement, JSON.stringify.
const db = new Database(join(dataDir, "hyperlight.db"), { readonly: true });
const select = db.prepare(
  `SELECT open_time, open, high, low, close, volume, CAST(quote_volume AS TEXT) AS quote_volume, trade_count, buy_volume
   FROM candles WHERE venue = ? AND market_id = ? AND resolution = ? AND open_time >= ? AND open_time < ? ORDER BY open_time LIMIT ?`,
);
const raw = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req) {
    const q = new URL(req.url).searchParams;
    const rows = select.all("lighter", Number(q.get("market_id")), q.get("resolution"), Number(q.get("start")), Number(q.get("end")), Number(q.get("limit")));
    return new Response(JSON.stringify(rows), { headers: { "content-type": "application/json" } });
  },
});

const cases = [
  { label: "10,000 1m candles", resolution: "1m", start: END - 10_000 * MIN, expect: 10_000 },
  { label: "a year of 1h candles (8,760)", resolution: "1h", start: END - 8_760 * HOUR, expect: 8_760 },
];

try {
  console.log(`candles bench — bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs`);
  for (const c of cases) {
    const query = `market_id=0&resolution=${c.resolution}&start=${c.start}&end=${END}&limit=10000`;
    const stackUrl = `${service.url}/api/v1/candles?${query}`;
    const rawUrl = `http://127.0.0.1:${raw.port}/candles?${query}`;
    // Both answer the same rows: check before measuring.
    const body = (await (await fetch(stackUrl, { headers })).json()) as { data: { candles: unknown[] } };
    const rawRows = (await (await fetch(rawUrl)).json()) as unknown[];
    if (body.data.candles.length !== c.expect || rawRows.length !== c.expect) {
      throw new Error(`${c.label}: full stack returned ${body.data.candles.length}, raw ${rawRows.length}, expected ${c.expect}`);
    }
    const bytes = (await (await fetch(stackUrl, { headers })).arrayBuffer()).byteLength;
    const rawBytes = (await (await fetch(rawUrl)).arrayBuffer()).byteLength;
    const r = await compare(`GET /api/v1/candles: ${c.label} (${(bytes / 1e6).toFixed(2)} MB; raw ${(rawBytes / 1e6).toFixed(2)} MB)`, { name: "raw SELECT + JSON.stringify", url: rawUrl }, { name: "full stack + API key", url: stackUrl, headers }, opts);
    console.log(`full stack takes ${(1 / r.ratio).toFixed(2)}x the raw time per request (target ≤ 1.5x)`);
  }
} finally {
  raw.stop(true);
  db.close();
  await service.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
