/**
 * A restart of the ingest node loses nothing and counts nothing twice. The venue is a simulator
 * the test owns, so it outlives the service, as the real venue does:
 * - in process, on a shared ManualClock: a graceful stop and start on the same DATA_DIR, with the
 *   venue frozen while the node is down (then every venue trade must be stored, exactly once) and
 *   with the venue trading on while it is down;
 * - as a child process (`spawnService`) killed with SIGKILL and started again.
 * After each restart, every trade id stored before is still served by /trades/by-time, and the
 * candles of the bar spanning the restart equal the recomputation from all stored trades of it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { DEFAULT_MARKETS, startSimulator, type SimHandle, type SimTrade } from "../../src/venues/lighter/sim";
import { provisionApiKey, TEST_ADMIN_TOKEN } from "../support/api-key";
import { spawnService, tempDir, type ServiceProcess } from "../support/process";
import { candlesFrom, type RawTrade, units, type WireCandle } from "../support/recompute";
import { getData, SimWorld, until } from "../support/sim-world";

const MIN = 60_000;
const MARKETS = [0, 1] as const;
const RESOLUTIONS = [["1m", MIN], ["5m", 5 * MIN], ["1h", 60 * MIN]] as const;
const spec = (id: number) => DEFAULT_MARKETS.find((m) => m.id === id)!;

interface WireTrade {
  trade_id: number;
  price: string;
  size: string;
  is_maker_ask: boolean;
  timestamp: number;
}

/** Every stored trade of [start, end) through /trades/by-time, page by page. */
async function storedTrades(base: string, key: string, marketId: number, start: number, end: number): Promise<WireTrade[]> {
  const out: WireTrade[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await getData<{ trades: WireTrade[] }>(base, `/api/v1/trades/by-time?market_id=${marketId}&start=${start}&end=${end}&limit=1000&offset=${offset}`, key);
    out.push(...page.trades);
    if (page.trades.length < 1000) return out;
  }
}

const fromWire = (marketId: number) => {
  const { priceDecimals, sizeDecimals } = spec(marketId);
  return (t: WireTrade): RawTrade => ({
    id: t.trade_id, ts: t.timestamp, price: Number(units(t.price, priceDecimals)), size: Number(units(t.size, sizeDecimals)), buy: t.is_maker_ask,
  });
};
const fromSim = (t: SimTrade): RawTrade => ({ id: t.tradeId, ts: t.timestamp, price: t.price, size: t.size, buy: t.isMakerAsk });

/**
 * The candle of each resolution whose bar contains `at` must equal the recomputation from every
 * stored trade of that bar (open bars are re-upserted each second: wait for the last version).
 */
async function expectSpanningBarsMatchStoredTrades(base: string, key: string, marketId: number, at: number): Promise<void> {
  for (const [resolution, barMs] of RESOLUTIONS) {
    const open = Math.floor(at / barMs) * barMs;
    let got: WireCandle | undefined;
    let expected: WireCandle | undefined;
    await until(`market ${marketId}: the ${resolution} bar spanning the restart equal to its stored trades`, async () => {
      const trades = (await storedTrades(base, key, marketId, open, open + barMs)).map(fromWire(marketId));
      expected = candlesFrom(trades, barMs, spec(marketId))[0];
      const data = await getData<{ candles: WireCandle[] }>(base, `/api/v1/candles?market_id=${marketId}&resolution=${resolution}&start=${open}&end=${open + 1}`, key);
      got = data.candles[0];
      return expected !== undefined && Bun.deepEquals(got, expected);
    }).catch(() => undefined);
    expect(expected).toBeDefined();
    expect(got).toEqual(expected!);
  }
}

describe("graceful restart in process (shared virtual clock)", () => {
  const T0 = Date.UTC(2026, 0, 15, 12, 0, 5);
  const world = new SimWorld({ start: T0, markets: MARKETS, seed: 23, rate: 60, stepMs: 100 });
  afterAll(() => world.close());

  test("venue frozen while down: every venue trade stored exactly once, and the bar spanning the restart is exact", async () => {
    // Arrange: 20 s of flow into the first run.
    await world.startSimulator();
    await world.startService();
    await world.runUntil(T0 + 20_000);
    const before = new Map<number, number[]>();
    for (const m of MARKETS) before.set(m, (await storedTrades(world.url, world.apiKey, m, T0 - MIN, T0 + MIN)).map((t) => t.trade_id));
    const restartAt = world.clock.now();

    // Act: graceful stop with trades possibly still in flight; start again on the same DATA_DIR.
    await world.stopService();
    await world.startService();
    await world.runUntil(T0 + 40_000); // still the minute of the restart
    world.freezeVenue();
    try {
      for (const m of MARKETS) {
        const truth = (world.trades.get(m) ?? []).map(fromSim);
        // Assert: stored = the venue's trades, each once (none lost in flight, none doubled).
        const stored = await until(`market ${m}: all ${truth.length} venue trades stored`, async () => {
          const s = await storedTrades(world.url, world.apiKey, m, T0 - MIN, T0 + MIN);
          return s.length >= truth.length ? s : undefined;
        });
        expect(stored.map((t) => t.trade_id)).toEqual(truth.map((t) => t.id).sort((a, b) => a - b));
        const ids = new Set(stored.map((t) => t.trade_id));
        expect(before.get(m)!.filter((id) => !ids.has(id))).toEqual([]);
        expect(before.get(m)!.length).toBeGreaterThan(50);
        await expectSpanningBarsMatchStoredTrades(world.url, world.apiKey, m, restartAt);
        // …and so the bar equals the venue's own trades of it.
        const bar = candlesFrom(truth, MIN, spec(m)).find((c) => c.open_time === Math.floor(restartAt / MIN) * MIN);
        const served = await world.get<{ candles: WireCandle[] }>(`/api/v1/candles?market_id=${m}&resolution=1m&start=${bar!.open_time}&end=${bar!.open_time + 1}`);
        expect(served.candles).toEqual([bar!]);
      }
    } finally {
      await world.stopPump();
      world.sim.resume();
    }
  }, 30_000);

  test("venue trading on while down: nothing stored before is lost and the spanning bars equal their stored trades", async () => {
    // Arrange: the second run goes on to 25 s into a fresh minute, so the restart bar has trades before it.
    const restartAt = Math.ceil(world.clock.now() / MIN) * MIN + 25_000;
    await world.runUntil(restartAt);
    const before = new Map<number, number[]>();
    for (const m of MARKETS) before.set(m, (await storedTrades(world.url, world.apiKey, m, T0 - MIN, restartAt + MIN)).map((t) => t.trade_id));

    // Act: stop; the venue trades on for 5 virtual seconds; start again; run on within the minute.
    await world.stopService();
    await world.runUntil(restartAt + 5_000);
    await world.startService();
    await world.runUntil(restartAt + 20_000);
    world.freezeVenue();
    try {
      for (const m of MARKETS) {
        const stored = await storedTrades(world.url, world.apiKey, m, T0 - MIN, restartAt + MIN);
        const ids = stored.map((t) => t.trade_id);
        // Assert: ids unique, everything stored before still there, spanning bars exact.
        expect(new Set(ids).size).toBe(ids.length);
        const has = new Set(ids);
        expect(before.get(m)!.filter((id) => !has.has(id))).toEqual([]);
        expect(stored.filter((t) => t.timestamp >= Math.floor(restartAt / MIN) * MIN && t.timestamp < restartAt).length).toBeGreaterThan(20);
        await expectSpanningBarsMatchStoredTrades(world.url, world.apiKey, m, restartAt);
      }
    } finally {
      await world.stopPump();
      world.sim.resume();
    }
  }, 30_000);
});

/**
 * On a fresh start the venue re-sends only its last 50 trades; the client is told where the stored
 * trades end (the newest stored trade) and backfills the rest over REST.
 */
describe("restart with the venue trading on", () => {
  test("trades the venue made while the node was down are backfilled from the last stored one", async () => {
    const T0 = Date.UTC(2026, 0, 15, 13, 0, 5);
    const world = new SimWorld({ start: T0, markets: [0], seed: 31, rate: 60, stepMs: 100 });
    try {
      await world.startSimulator();
      await world.startService();
      await world.runUntil(T0 + 10_000);
      await world.stopService();
      await world.runUntil(T0 + 25_000); // ~200 venue trades while down
      await world.startService();
      await world.runUntil(T0 + 30_000);
      world.freezeVenue();
      const truth = (world.trades.get(0) ?? []).map((t) => t.tradeId).sort((a, b) => a - b);
      const stored = await until("every venue trade stored", async () => {
        const s = (await storedTrades(world.url, world.apiKey, 0, T0 - MIN, T0 + MIN)).map((t) => t.trade_id);
        return s.length >= truth.length ? s : undefined;
      });
      expect(stored).toEqual(truth);
    } finally {
      await world.close();
    }
  }, 30_000);
});

describe("SIGKILL of the service process", () => {
  const dir = tempDir("restart-kill");
  const procs: ServiceProcess[] = [];
  let sim: SimHandle | undefined;
  afterAll(async () => {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("after kill -9 and a restart on the same DATA_DIR, stored trades are all served and the spanning bars are exact", async () => {
    // Arrange: a real-time venue, and a node ingesting it.
    sim = await startSimulator({ seed: 29, markets: MARKETS, rate: 40, accounts: 300 });
    const started = Date.now() - MIN;
    const env = { DATA_DIR: dir, ROLE: "all", LIGHTER_URL: sim.url, LIGHTER_WS_URL: sim.wsUrl, LIGHTER_MARKETS: MARKETS.join(","), LOG_LEVEL: "info", ADMIN_TOKEN: TEST_ADMIN_TOKEN };
    const spawn = () => {
      const p = spawnService(env);
      procs.push(p);
      return p;
    };
    const a = spawn();
    const baseA = `http://127.0.0.1:${await a.port()}`;
    const key = await provisionApiKey(baseA);
    await until("the first node to store trades", async () => (await storedTrades(baseA, key, 0, started, Date.now() + MIN)).length >= 20, 20_000);
    // Kill well inside a 5-minute bar, so the bar spans the restart.
    await until("not the last 15 s of a 5-minute bar", () => Date.now() % (5 * MIN) < 5 * MIN - 15_000, 20_000);
    const before = new Map<number, number[]>();
    for (const m of MARKETS) before.set(m, (await storedTrades(baseA, key, m, started, Date.now() + MIN)).map((t) => t.trade_id));

    // Act: SIGKILL (no flush, no journal close), then a new node on the same DATA_DIR.
    const killedAt = Date.now();
    a.kill("SIGKILL");
    await a.exited;
    const b = spawn();
    const baseB = `http://127.0.0.1:${await b.port()}`;
    await until("the new node to store trades made after the kill", async () => {
      const s = await storedTrades(baseB, key, 0, killedAt, Date.now() + MIN);
      return s.length >= 5;
    }, 20_000);
    sim.pause();

    // Assert
    for (const m of MARKETS) {
      const stored = await storedTrades(baseB, key, m, started, Date.now() + MIN);
      const ids = stored.map((t) => t.trade_id);
      expect(new Set(ids).size).toBe(ids.length);
      const has = new Set(ids);
      expect(before.get(m)!.filter((id) => !has.has(id))).toEqual([]);
      await expectSpanningBarsMatchStoredTrades(baseB, key, m, killedAt);
    }
    b.kill("SIGTERM");
    expect(await b.exited).toBe(0);
  }, 60_000);
});
