/**
 * Replay throughput, memory and pacing. A dense range (EVENTS trades, one book snapshot per 1,000,
 * 100 events per ms of history) is replayed at 100x — every event is due at once, so this is the
 * maximum-speed mode — to one WebSocket client through the real /ws/replay gateway, reading from
 * SQLite, then from PostgreSQL seeded the same way (in a schema of its own, dropped afterwards).
 * Each store is replayed with pages read in process (through the column-wise page read,
 * `readHistoryPage`) and on the read worker: as the node does by default (on PostgreSQL reading
 * ahead, see `storePageReader`) — the line the target (≥ 0.5) applies to — and, as the
 * before-figure, one page at a time (on SQLite the default reads a page at a time too, so there the
 * two lines differ only by noise).
 *
 * Baseline: a raw Bun server sending the same pre-rendered frames with the same backpressure
 * discipline. Runs are interleaved (raw, a page at a time, in process, worker) for ROUNDS rounds and
 * each ratio is the median of the per-round ratios, so a load spike from other processes hits all
 * of them alike. Also: store read + render alone (wall time and this process's CPU per event,
 * through the column-wise read and the object cursor reads `readTradesAfter` +
 * `readBookSnapshotsAfter`), peak RSS during a replay, and the timing error at 100x.
 *
 *   bun bench/replay.ts [events=1000000] [rounds=3]
 *   BENCH_DATABASE_URL=postgres://… (default: the local test database; skipped when unreachable)
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Elysia } from "elysia";
import postgres from "postgres";
import { openPostgresStore, openStore, type Store } from "../src/store";
import { createLogger } from "../src/lib/log";
import { systemClock } from "../src/lib/clock";
import type { LiveMarketView, MarketInfo } from "../src/market/live";
import type { MarketDataStore, TradeRecord } from "../src/store/ports";
import { createReplayGateway } from "../src/ws/replay/gateway";
import { createMemoryConnectionQuota } from "../src/ws/connection-quota";
import { cursorAt, readNext, readStateAt, type MarketPageReader } from "../src/actors/replay/history";
import { storePageReader } from "../src/actors/replay/page-reader";
import { createWorkerPageReader, type HistoryLocation } from "../src/actors/replay/history-worker";
import { recordsHistory } from "../src/actors/replay/history-records";
import { completeFrame } from "../src/actors/replay/render";
import { tempDir } from "../test/support/process";

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const T0 = Date.UTC(2026, 0, 1);
const market: MarketInfo = { venue: "lighter", marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, status: "active", minInitialMarginFraction: 500, maintenanceMarginFraction: 300, closeoutMarginFraction: 200 };
const live = { market: async () => market, markets: async () => [market] } as unknown as LiveMarketView;
const log = createLogger({ level: "error" });
const auth = { authenticate: async () => ({ keyId: "k", userId: "u", tier: "enterprise" as const, plan: "enterprise" as const }), recheck: async () => null, onChange: () => {} };
type Range = { start: number; end: number };
let peakRss = 0;
const sample = () => void (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const sampler = setInterval(sample, 50);
/** The q-quantile of ascending `sorted` (nearest rank). */
const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] as number;
const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

async function seed(store: MarketDataStore): Promise<Range> {
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

/** Counts frames until `done(text)`; resolves with count and events/s from the first frame on. */
function consume(url: string, first: (ws: WebSocket) => void, done: (text: string) => boolean): Promise<{ frames: number; eps: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    let frames = 0;
    let t0 = 0;
    ws.onopen = () => first(ws);
    ws.onmessage = (e) => {
      const text = e.data as string;
      if (frames++ === 0) t0 = performance.now();
      if (done(text)) (ws.close(), resolve({ frames, eps: frames / ((performance.now() - t0) / 1000) }));
    };
  });
}

/** One replay of `range` at 100x through the real gateway, pages from `pages`. */
async function viaGateway(store: MarketDataStore, pages: MarketPageReader, range: Range, speed = 100, onFrame?: (text: string) => void) {
  const gateway = createReplayGateway({ clock: systemClock, log, store, live, venue: "lighter", authTimeoutMs: 10_000, quota: createMemoryConnectionQuota(), authenticator: auth, pages });
  const app = new Elysia({ websocket: { backpressureLimit: 2 * 1024 * 1024, closeOnBackpressureLimit: false } }).use(gateway.plugin).listen({ port: 0, hostname: "127.0.0.1" });
  const r = await consume(`ws://127.0.0.1:${app.server!.port}/ws/replay`, (ws) => {
    ws.send(JSON.stringify({ type: "auth", api_key: "x" }));
    ws.send(JSON.stringify({ type: "replay", market_id: 0, start: range.start, end: range.end, speed }));
  }, (t) => (onFrame?.(t), t.startsWith('{"type":"replay_complete"')));
  await app.stop(true);
  return r;
}

/** Every event head of the range, read and rendered as a session does; wall and CPU time per event. */
async function readAll(pages: MarketPageReader, range: Range) {
  const heads: string[] = [];
  const t = performance.now();
  const cpu = process.cpuUsage();
  for (let state = readStateAt([market], range.start); ; ) {
    const p = await readNext(pages, { end: range.end, state });
    for (const h of p.run.heads) heads.push(h);
    state = p.state;
    if (p.exhausted) break;
  }
  const used = process.cpuUsage(cpu);
  return { heads, usPerEvent: ((performance.now() - t) * 1000) / heads.length, cpuUsPerEvent: (used.user + used.system) / heads.length };
}

/** The same frames, rendered up front, sent by a bare Bun server that waits for drain on backpressure. */
async function rawBaseline(heads: string[]) {
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
  return r;
}

/** Lateness of each event at 100x over a sparse minute (600 events; `base` picks a fresh minute), against the play start. */
async function timingAt100x(store: MarketDataStore, pages: MarketPageReader, base: number) {
  const start = T0 - 600_000 * (base + 1);
  const trades: TradeRecord[] = Array.from({ length: 600 }, (_, i) => ({ venue: "lighter", marketId: 0, tradeId: 900_000_000 + base * 1_000 + i, ts: start + i * 100, price: 1, size: 1, isMakerAsk: true, askAccountId: 1, bidAccountId: 2, kind: "trade" }));
  await store.insertTrades(trades);
  const lags: number[] = [];
  let playStart = 0;
  await viaGateway(store, pages, { start, end: start + 60_000 }, 100, (text) => {
    const f = JSON.parse(text) as { type: string; ts: number };
    if (f.type === "replay_started") playStart = Date.now();
    if (f.type === "replay_event") lags.push(Date.now() - playStart - (f.ts - start) / 100);
    if (f.type === "replay_complete") lags.push(Date.now() - playStart - 600);
  });
  const abs = lags.map(Math.abs).sort((a, b) => a - b);
  return { events: lags.length - 1, p50_ms: quantile(abs, 0.5), p99_ms: quantile(abs, 0.99), max_ms: abs.at(-1), total_error_ms: lags.at(-1) };
}

/**
 * How late a 1 ms timer fires on the gateway's thread while a session replays `ms` of the dense
 * range at 1x (100,000 events/s of history): what every other socket and request of the node
 * waits for while someone replays. A read in process holds the loop for each page (SQLite's read
 * is synchronous; rendering is synchronous on both stores); on the worker the page reads and
 * rendering do not. The client runs on this thread too, in both modes, so its receiving counts.
 */
async function loopLagAt1x(store: MarketDataStore, pages: MarketPageReader, range: Range, ms = 2_000) {
  const lags: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - 1));
    last = now;
  }, 1);
  await viaGateway(store, pages, { start: range.start, end: Math.min(range.end, range.start + ms) }, 1);
  clearInterval(timer);
  const sorted = lags.sort((a, b) => a - b);
  const at = (q: number) => quantile(sorted, q).toFixed(1);
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms (${sorted.length} ticks)`;
}

async function run(label: string, store: MarketDataStore, location: HistoryLocation) {
  const t = performance.now();
  const range = await seed(store);
  const out = (what: string, value: string) => console.log(`[${label}] ${what.padEnd(34)}: ${value}`);
  out("seeded", `${EVENTS.toLocaleString()} trades + ${Math.ceil(EVENTS / 1000)} snapshots in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const inline = storePageReader(store, "lighter");
  const objects = storePageReader(recordsHistory(store), "lighter");
  const worker = createWorkerPageReader({ location, venue: "lighter" });
  const pageAtATime = createWorkerPageReader({ location, venue: "lighter", readAhead: false });
  // A thread starts with its first read (a node's first replay pays that once, about 75 ms):
  // started here, so the measured rounds do not include it.
  for (const w of [worker, pageAtATime]) await w.read({ market, end: range.end, cursor: cursorAt(range.start) });
  // Memory first, before the baseline holds every frame: the process's RSS (both threads when the
  // worker reads) during one replay of the whole range, in process and on the worker.
  for (const [what, pages] of [["in process", inline], ["worker", worker.read]] as const) {
    Bun.gc(true);
    sample();
    const rssBefore = (peakRss = process.memoryUsage().rss);
    await viaGateway(store, pages, range);
    out(`peak RSS during a replay, ${what}`, `${(peakRss / 2 ** 20).toFixed(0)} MiB (before: ${(rssBefore / 2 ** 20).toFixed(0)} MiB)`);
  }
  const alone = (what: string, r: { usPerEvent: number; cpuUsPerEvent: number }) =>
    out(`read + render alone, ${what}`, `${r.usPerEvent.toFixed(2)} µs/event wall, ${r.cpuUsPerEvent.toFixed(2)} µs CPU here (${Math.round(1e6 / r.usPerEvent).toLocaleString()} events/s)`);
  alone("object reads", await readAll(objects, range));
  const { heads, ...columnsAlone } = await readAll(inline, range);
  alone("column reads", columnsAlone);
  type Run = "raw" | "pageAtATime" | "inline" | "worker";
  const eps: Record<Run, number[]> = { raw: [], pageAtATime: [], inline: [], worker: [] };
  for (let r = 0; r < ROUNDS; r++) {
    eps.raw.push((await rawBaseline(heads)).eps);
    eps.pageAtATime.push((await viaGateway(store, pageAtATime.read, range)).eps);
    eps.inline.push((await viaGateway(store, inline, range)).eps);
    eps.worker.push((await viaGateway(store, worker.read, range)).eps);
  }
  const fmt = (xs: number[]) => `${Math.round(median(xs)).toLocaleString()} events/s (runs: ${xs.map((x) => Math.round(x / 1000)).join(", ")} k)`;
  const ratio = (k: Exclude<Run, "raw">) => median(eps[k].map((x, i) => x / (eps.raw[i] as number))).toFixed(2);
  out("raw Bun, pre-rendered frames", fmt(eps.raw));
  out("/ws/replay, in process", `${fmt(eps.inline)}  ratio ${ratio("inline")}`);
  out("/ws/replay, worker, a page at a time", `${fmt(eps.pageAtATime)}  ratio ${ratio("pageAtATime")}`);
  out(`/ws/replay, worker (default${"sqlitePath" in location ? "" : ", reading ahead"})`, `${fmt(eps.worker)}  ratio ${ratio("worker")}  (target ≥ 0.5)`);
  out("loop lag replaying at 1x, in process", await loopLagAt1x(store, inline, range));
  out("loop lag replaying at 1x, worker", await loopLagAt1x(store, worker.read, range));
  out("timing error at 100x, in process", JSON.stringify(await timingAt100x(store, inline, 0)));
  out("timing error at 100x, worker", JSON.stringify(await timingAt100x(store, worker.read, 1)));
  worker.close();
  pageAtATime.close();
}

const dir = tempDir("bench-replay");
const pgUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `bench_replay_${process.pid}`;
/** The PostgreSQL store in a schema of its own, or why not. */
async function openPg(): Promise<Store | string> {
  try {
    const store = await openPostgresStore({ url: pgUrl, schema, log });
    await store.migrate();
    return store;
  } catch (err) {
    return String(err);
  }
}
try {
  console.log(`replay bench: ${EVENTS.toLocaleString()} events, ${ROUNDS} rounds; figures are only comparable within one run`);
  const sqlite = await openStore({ dataDir: dir, log });
  await run("sqlite", sqlite.marketData, { sqlitePath: join(dir, "hyperlight.db") });
  await sqlite.close();
  const pg = await openPg();
  if (typeof pg === "string") console.log(`[postgres] skipped: ${pgUrl.replace(/\/\/[^@]*@/, "//")} unreachable (${pg}); set BENCH_DATABASE_URL`);
  else {
    await run("postgres", pg.marketData, { postgresUrl: pgUrl, schema });
    await pg.close();
  }
} finally {
  clearInterval(sampler);
  rmSync(dir, { recursive: true, force: true });
  const sql = postgres(pgUrl, { max: 1, onnotice: () => {} });
  await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
  await sql.end({ timeout: 1 }).catch(() => {});
}
