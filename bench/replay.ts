/**
 * Replay throughput, memory and pacing. A dense range (EVENTS trades, one book snapshot per 1,000,
 * 100 events per ms of history) is replayed at 100x — every event is due at once, so this is the
 * maximum-speed mode — to one WebSocket client through the real /ws/replay gateway, reading from
 * SQLite (and PostgreSQL when BENCH_DATABASE_URL is set). Baseline: a raw Bun server sending the
 * same pre-rendered frames with the same backpressure discipline, in the same run. Then the timing
 * error at 100x over a sparse minute of history.
 *
 *   bun bench/replay.ts [events=1000000]      BENCH_DATABASE_URL=postgres://… to add PostgreSQL
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Elysia } from "elysia";
import { openStore } from "../src/store";
import { createLogger } from "../src/lib/log";
import { systemClock } from "../src/lib/clock";
import type { LiveMarketView, MarketInfo } from "../src/market/live";
import type { MarketDataStore, TradeRecord } from "../src/store/ports";
import { createReplayGateway } from "../src/ws/replay/gateway";
import { createMemoryConnectionQuota } from "../src/ws/connection-quota";
import { readMergedPage, cursorAt } from "../src/actors/replay/history";
import { completeFrame } from "../src/actors/replay/render";
import { tempDir } from "../test/support/process";

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const T0 = Date.UTC(2026, 0, 1);
const market: MarketInfo = { venue: "lighter", marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, status: "active", minInitialMarginFraction: 500, maintenanceMarginFraction: 300, closeoutMarginFraction: 200 };
const live = { market: async () => market, markets: async () => [market] } as unknown as LiveMarketView;
const log = createLogger({ level: "error" });
let peakRss = 0;
const sample = () => void (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const sampler = setInterval(sample, 50);

async function seed(store: MarketDataStore) {
  const batch: TradeRecord[] = [];
  for (let i = 0; i < EVENTS; i++) {
    batch.push({ venue: "lighter", marketId: 0, tradeId: i + 1, ts: T0 + Math.floor(i / 100), price: 300_000 + (i % 500), size: 1_000 + (i % 97), isMakerAsk: i % 2 === 0, askAccountId: 11, bidAccountId: 22, kind: "trade" });
    if (batch.length === 20_000) await store.insertTrades(batch.splice(0));
  }
  if (batch.length) await store.insertTrades(batch);
  const snaps = [];
  for (let i = 0; i < EVENTS; i += 1_000) {
    const ts = T0 + Math.floor(i / 100);
    snaps.push({ venue: "lighter", marketId: 0, ts, nonce: i, bids: Array.from({ length: 20 }, (_, k) => [299_990 - k * 10, 5_000 + k] as const), asks: Array.from({ length: 20 }, (_, k) => [300_010 + k * 10, 5_000 + k] as const) });
  }
  for (let i = 0; i < snaps.length; i += 1_000) await store.insertBookSnapshots(snaps.slice(i, i + 1_000));
  return { start: T0, end: T0 + Math.ceil(EVENTS / 100) + 1 };
}

/** Counts frames until `done(text)`; resolves with count and seconds. */
function consume(url: string, first: (ws: WebSocket) => void, done: (text: string) => boolean): Promise<{ frames: number; seconds: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    let frames = 0;
    let t0 = 0;
    ws.onopen = () => first(ws);
    ws.onmessage = (e) => {
      const text = e.data as string;
      if (frames++ === 0) t0 = performance.now();
      if (done(text)) (ws.close(), resolve({ frames, seconds: (performance.now() - t0) / 1000 }));
    };
  });
}

async function viaGateway(store: MarketDataStore, range: { start: number; end: number }) {
  const gateway = createReplayGateway({
    clock: systemClock, log, store, live, venue: "lighter", authTimeoutMs: 10_000, quota: createMemoryConnectionQuota(),
    authenticator: { authenticate: async () => ({ keyId: "k", userId: "u", tier: "enterprise", plan: "enterprise" }), recheck: async () => null, onChange: () => {} },
  });
  const app = new Elysia({ websocket: { backpressureLimit: 2 * 1024 * 1024, closeOnBackpressureLimit: false } }).use(gateway.plugin).listen({ port: 0, hostname: "127.0.0.1" });
  const r = await consume(`ws://127.0.0.1:${app.server!.port}/ws/replay`, (ws) => {
    ws.send(JSON.stringify({ type: "auth", api_key: "x" }));
    ws.send(JSON.stringify({ type: "replay", market_id: 0, start: range.start, end: range.end, speed: 100 }));
  }, (t) => t.startsWith('{"type":"replay_complete"'));
  await app.stop(true);
  return r;
}

/** The same frames, rendered up front, sent by a bare Bun server that waits for drain on backpressure. */
async function rawBaseline(store: MarketDataStore, range: { start: number; end: number }) {
  const heads: string[] = [];
  for (let cursor = cursorAt(range.start); ; ) {
    const p = await readMergedPage(store, { venue: "lighter", market, end: range.end, cursor });
    for (const it of p.items) heads.push(it.head);
    cursor = p.cursor;
    if (p.exhausted) break;
  }
  let i = 0;
  const pump = (ws: import("bun").ServerWebSocket<unknown>) => {
    while (i < heads.length) if (ws.sendText(completeFrame(heads[i++] as string, Date.now())) === -1) return;
    if (i === heads.length) (ws.sendText('{"type":"replay_complete"}'), i++);
  };
  const server = Bun.serve({
    port: 0, hostname: "127.0.0.1",
    fetch: (req, srv) => (srv.upgrade(req, { data: undefined }) ? undefined : new Response("ws only", { status: 400 })),
    websocket: { backpressureLimit: 2 * 1024 * 1024, closeOnBackpressureLimit: false, message: (ws) => pump(ws), drain: (ws) => pump(ws) },
  });
  const r = await consume(`ws://127.0.0.1:${server.port}`, (ws) => ws.send("go"), (t) => t.startsWith('{"type":"replay_complete"'));
  server.stop(true);
  return { ...r, frames: heads.length };
}

async function timingAt100x(store: MarketDataStore) {
  const start = T0 - 120_000;
  const trades: TradeRecord[] = Array.from({ length: 600 }, (_, i) => ({ venue: "lighter", marketId: 0, tradeId: 900_000_000 + i, ts: start + i * 100, price: 1, size: 1, isMakerAsk: true, askAccountId: 1, bidAccountId: 2, kind: "trade" }));
  await store.insertTrades(trades);
  const gateway = createReplayGateway({
    clock: systemClock, log, store, live, venue: "lighter", authTimeoutMs: 10_000, quota: createMemoryConnectionQuota(),
    authenticator: { authenticate: async () => ({ keyId: "k", userId: "u", tier: "enterprise", plan: "enterprise" }), recheck: async () => null, onChange: () => {} },
  });
  const app = new Elysia().use(gateway.plugin).listen({ port: 0, hostname: "127.0.0.1" });
  const lags: number[] = [];
  let playStart = 0;
  await new Promise<void>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${app.server!.port}/ws/replay`);
    ws.onopen = () => (ws.send(JSON.stringify({ type: "auth", api_key: "x" })), ws.send(JSON.stringify({ type: "replay", market_id: 0, start, end: start + 60_000, speed: 100 })));
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data as string) as { type: string; ts: number };
      if (f.type === "replay_started") playStart = Date.now();
      if (f.type === "replay_event") lags.push(Date.now() - playStart - (f.ts - start) / 100);
      if (f.type === "replay_complete") (lags.push(Date.now() - playStart - 600), ws.close(), resolve());
    };
  });
  await app.stop(true);
  const abs = lags.map(Math.abs).sort((a, b) => a - b);
  return { events: lags.length - 1, p50_ms: abs[Math.floor(abs.length / 2)], p99_ms: abs[Math.floor(abs.length * 0.99)], max_ms: abs.at(-1), total_error_ms: lags.at(-1) };
}

async function run(label: string, store: MarketDataStore) {
  const t = performance.now();
  const range = await seed(store);
  console.log(`[${label}] seeded ${EVENTS.toLocaleString()} trades + ${Math.ceil(EVENTS / 1000)} snapshots in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  sample();
  const rssBefore = process.memoryUsage().rss;
  peakRss = rssBefore;
  const g = await viaGateway(store, range);
  const gatewayPeak = peakRss;
  const raw = await rawBaseline(store, range);
  const eps = (r: { frames: number; seconds: number }) => Math.round(r.frames / r.seconds);
  console.log(`[${label}] raw Bun, pre-rendered frames : ${eps(raw).toLocaleString()} events/s (${raw.frames.toLocaleString()} in ${raw.seconds.toFixed(2)} s)`);
  console.log(`[${label}] /ws/replay at max speed      : ${eps(g).toLocaleString()} events/s (${g.frames.toLocaleString()} frames in ${g.seconds.toFixed(2)} s)`);
  console.log(`[${label}] ratio replay / raw           : ${(eps(g) / eps(raw)).toFixed(2)}  (target ≥ 0.5)`);
  console.log(`[${label}] peak RSS during the replay   : ${(gatewayPeak / 2 ** 20).toFixed(0)} MiB (before: ${(rssBefore / 2 ** 20).toFixed(0)} MiB; the raw baseline holds all frames: ${(peakRss / 2 ** 20).toFixed(0)} MiB)`);
  console.log(`[${label}] timing error at 100x (600 events over 60 s of history):`, JSON.stringify(await timingAt100x(store)));
}

const dir = tempDir("bench-replay");
try {
  const sqlite = await openStore({ dataDir: dir, log });
  await run("sqlite", sqlite.marketData);
  await sqlite.close();
  const pg = process.env.BENCH_DATABASE_URL;
  if (pg) {
    const store = await openStore({ databaseUrl: pg, dataDir: dir, log });
    await run("postgres", store.marketData);
    await store.close();
  } else console.log("[postgres] skipped: set BENCH_DATABASE_URL=postgres://… (the rows are written into that database)");
} finally {
  clearInterval(sampler);
  rmSync(dir, { recursive: true, force: true });
}
