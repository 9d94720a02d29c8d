/**
 * The accounts API's two hot paths, through the whole HTTP stack (Elysia app, request ids, API-key
 * auth, rate limit and credit metering, batch-size check, body validation, envelope, response
 * validation, JSON) over a SQLite store, with tracked-account state in real AccountBooks (the
 * trackers' memory, 4 shards, views derived by domain/margin):
 *
 *   - POST /api/v1/accounts/batch, 5,000 accounts with positions and open orders
 *     (2 cross positions and 3 orders each) — target p50 < 50 ms;
 *     and the same with 10 recent fills per account read from the store (one query);
 *   - GET /api/v1/liquidation-heatmap/0 over 10,000 positions in the market — target p50 < 20 ms.
 *
 * "Server time" is measured in process (`app.handle(request)` until the body's last byte), so the
 * socket and the client are not counted; a raw Bun handler that parses the same request body and
 * answers the same bytes is timed the same way as the baseline. Marks move between iterations
 * when --moving is set (every view is then recomputed: the cold path; the heatmap is also timed
 * after only its own market's mark moved), otherwise they stand still.
 *
 *   bun bench/accounts.ts [--iterations 40] [--accounts 5000] [--positions 10000] [--moving]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { AccountBook } from "../src/actors/accounts/account-book";
import type { MarketRisk, OrderState } from "../src/actors/accounts/account.events";
import { createBooksModel } from "../src/actors/accounts/books-model";
import { createApp } from "../src/http/app";
import { Metrics } from "../src/http/metrics";
import { HealthService } from "../src/http/routes/health/service";
import { createIdentity } from "../src/identity";
import { systemClock } from "../src/lib/clock";
import { createLogger } from "../src/lib/log";
import { createLiveMarkets, type MarketInfo } from "../src/market/live";
import { createMemoryCache } from "../src/store/memory/cache";
import { createMemoryRateLimiter } from "../src/store/memory/rate-limiter";
import type { AccountFillRecord } from "../src/store/ports";
import { openSqliteStore } from "../src/store/sqlite";
import { provisionApiKey, TEST_ADMIN_TOKEN } from "../test/support/api-key";

const { values } = parseArgs({ options: { iterations: { type: "string", default: "40" }, accounts: { type: "string", default: "5000" }, positions: { type: "string", default: "10000" }, moving: { type: "boolean", default: false } } });
const ITER = Number(values.iterations);
const N = Number(values.accounts);
const HEAT = Math.max(N, Number(values.positions));
const SHARDS = 4;
const VENUE = "lighter";

const MARKETS: MarketInfo[] = [
  { venue: VENUE, marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, status: "active", minInitialMarginFraction: 200, maintenanceMarginFraction: 120, closeoutMarginFraction: 80 },
  { venue: VENUE, marketId: 1, symbol: "BTC", priceDecimals: 1, sizeDecimals: 5, status: "active", minInitialMarginFraction: 200, maintenanceMarginFraction: 120, closeoutMarginFraction: 80 },
  { venue: VENUE, marketId: 2, symbol: "SOL", priceDecimals: 3, sizeDecimals: 3, status: "active", minInitialMarginFraction: 400, maintenanceMarginFraction: 240, closeoutMarginFraction: 160 },
];
const MARK: Record<number, number> = { 0: 300_000, 1: 950_000, 2: 150_000 };
const risk: MarketRisk[] = MARKETS.map((m) => ({ marketId: m.marketId, symbol: m.symbol, priceDecimals: m.priceDecimals, sizeDecimals: m.sizeDecimals, mmfBp: m.maintenanceMarginFraction, closeoutBp: m.closeoutMarginFraction }));

// ── tracked state: HEAT accounts, each with an ETH position; the first N also BTC or SOL and orders.
const books = Array.from({ length: SHARDS }, () => {
  const b = new AccountBook(VENUE, 1_000_000);
  b.setMarkets(risk);
  for (const m of MARKETS) b.setMark(m.marketId, MARK[m.marketId]!, null, 0);
  return b;
});
let seed = 7;
const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const position = (marketId: number, sign: 1 | -1, notionalUsd: number, entryFactor: number) => {
  const m = MARKETS[marketId]!;
  const size = Math.max(1, Math.round((notionalUsd / (MARK[marketId]! / 10 ** m.priceDecimals)) * 10 ** m.sizeDecimals));
  const entryQuote = Math.round(size * MARK[marketId]! * entryFactor * 10 ** (6 - m.priceDecimals - m.sizeDecimals));
  return { marketId, size: sign * size, entryQuote, imfBp: [500, 1000, 2000][Math.floor(rnd() * 3)]!, realizedPnl: 0, fundingPaid: 0, marginMode: 0 as const, allocatedMargin: 0 };
};
const ids: number[] = [];
for (let i = 0; i < HEAT; i++) {
  const id = 10_000 + i * 7;
  ids.push(id);
  const book = books[id % SHARDS]!;
  const positions = [position(0, rnd() < 0.5 ? 1 : -1, 2_000 + rnd() * 200_000, 0.9 + rnd() * 0.2)];
  if (i < N) positions.push(position(1 + (i % 2), rnd() < 0.5 ? 1 : -1, 1_000 + rnd() * 50_000, 0.9 + rnd() * 0.2));
  book.applySnapshot({ accountId: id, l1Address: `0x${id.toString(16).padStart(40, "0")}`, collateral: Math.round((5_000 + rnd() * 60_000) * 1e6), positions }, 0, 1);
  if (i < N) {
    const orders: OrderState[] = [0, 1, 2].map((k) => ({ id: String(id * 10 + k), marketId: 0, isAsk: k % 2 === 1, price: MARK[0]! + (k - 1) * 500, size: 1_000, remaining: 600, type: "limit", reduceOnly: false, triggerPrice: 0, createdAt: 1_768_000_000_000 }));
    book.setOrders(id, orders, orders.length, 1);
  }
}
const model = createBooksModel({ shards: SHARDS, book: (k) => books[k] });

// ── the app over a SQLite store, with 10 fills per batch account (30 stored, so the read is a real "newest 10").
const dir = mkdtempSync(join(tmpdir(), "hl-bench-accounts-"));
const store = await openSqliteStore({ path: join(dir, "hyperlight.db") });
await store.migrate();
const fills: AccountFillRecord[] = [];
for (const id of ids.slice(0, N)) for (let k = 0; k < 30; k++) fills.push({ venue: VENUE, accountId: id, marketId: 0, tradeId: id * 100 + k, ts: 1_768_000_000_000 + k * 1000, side: k % 2 ? "buy" : "sell", role: "taker", price: 300_000 + k, size: 100, kind: "trade", fee: 0, realizedPnl: null });
for (let i = 0; i < fills.length; i += 10_000) await store.accounts.insertFills(fills.slice(i, i + 10_000));
const cache = createMemoryCache(systemClock);
const live = createLiveMarkets(cache);
await live.putMarkets(VENUE, MARKETS);
const log = createLogger({ level: "info", sink: { write() {} } });
const identity = createIdentity({ store: store.identity, sharedStore: false, cache, limiter: createMemoryRateLimiter(systemClock), clock: systemClock, log, jwtSecret: "x".repeat(48), passwordCost: { memoryCost: 1024, timeCost: 1 }, adminToken: TEST_ADMIN_TOKEN });
const health = new HealthService({ clock: systemClock, version: "bench", timeoutMs: 500, probes: () => [], upstream: () => ({ venue: VENUE, network: "ok", source: "simulator", rest_url: "-", ws_url: "-", connection: "-" }) });
const app = createApp({ clock: systemClock, log, metrics: new Metrics(), version: "bench", health, identity, marketData: { store: store.marketData, live, venue: VENUE, accountsStore: store.accounts, accounts: model } });
app.listen({ port: 0, hostname: "127.0.0.1" });
const key = await provisionApiKey(`http://127.0.0.1:${app.server!.port}`, "bench-accounts@example.com");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;

/** Times `make()` handled in process, to the body's last byte; `between` runs outside the timing. */
async function time(label: string, handle: (r: Request) => Response | Promise<Response>, make: () => Request, between?: () => void) {
  const ms: number[] = [];
  let bytes = 0;
  let status = 0;
  for (let i = 0; i < ITER + 5; i++) {
    between?.();
    const req = make();
    const t0 = performance.now();
    const res = await handle(req);
    const body = await res.arrayBuffer();
    const t = performance.now() - t0;
    if (i >= 5) ms.push(t);
    bytes = body.byteLength;
    status = res.status;
  }
  return { label, p50: median(ms), p99: p99(ms), bytes, status };
}

const post = (body: unknown) => () => new Request("http://bench/api/v1/accounts/batch", { method: "POST", headers: { "x-api-key": key, "content-type": "application/json" }, body: JSON.stringify(body) });
const batchIds = ids.slice(0, N);
let tick = 0;
const moveMarks = values.moving ? () => { tick++; for (const b of books) for (const m of MARKETS) b.setMark(m.marketId, MARK[m.marketId]! + (tick % 2), null, tick); } : undefined;
/** Marks move one market at a time on the venue (about once a second each): only ETH's here. */
const moveOwnMark = values.moving ? () => { tick++; for (const b of books) b.setMark(0, MARK[0]! + (tick % 2), null, tick); } : undefined;
const handle = (r: Request) => app.handle(r);

try {
  console.log(`accounts bench — bun ${Bun.version}; ${HEAT} tracked accounts in ${SHARDS} shards (${N} with 2 positions + 3 orders), ${fills.length} stored fills; marks ${values.moving ? "moving every request (cold views)" : "standing (memoised views)"}`);
  const results = [];
  for (const include of [["positions", "orders"], ["positions", "orders", "fills"]]) {
    const r = await time(`POST /accounts/batch ${N} accounts [${include.join(", ")}]`, handle, post({ accounts: batchIds, include }), moveMarks);
    const sample = await (await app.handle(post({ accounts: batchIds, include })())).arrayBuffer();
    const raw = await time("   raw Bun handler, same body in/out", async (req) => { await req.json(); return new Response(sample, { headers: { "content-type": "application/json" } }); }, post({ accounts: batchIds, include }));
    results.push(r, raw);
  }
  const heatmap = () => new Request("http://bench/api/v1/liquidation-heatmap/0", { headers: { "x-api-key": key } });
  results.push(await time(`GET /liquidation-heatmap/0 (${HEAT} positions)`, handle, heatmap, moveMarks));
  if (values.moving) results.push(await time("   the same, after only its own market's mark moved", handle, heatmap, moveOwnMark));
  results.push(await time(`GET /liquidation-heatmap/0/cascade?shock_pct=-10 (no book: 503)`, handle, () => new Request("http://bench/api/v1/liquidation-heatmap/0/cascade?shock_pct=-10", { headers: { "x-api-key": key } })));
  console.log(`\n== server time, ${ITER} requests each (after 5 warm-up) ==`);
  for (const r of results) console.log(`${r.label.padEnd(64)} p50 ${r.p50.toFixed(2).padStart(7)} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms   ${(r.bytes / 1e6).toFixed(2)} MB   HTTP ${r.status}`);
  for (let i = 0; i < 4; i += 2) console.log(`ratio ${results[i]!.label.slice(20)} vs raw: ${(results[i]!.p50 / results[i + 1]!.p50).toFixed(2)}x raw's time`);
  console.log("targets: batch of 5,000 (positions, orders) p50 < 50 ms; heatmap of 10,000 positions p50 < 20 ms");
} finally {
  await app.stop();
  await identity.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
