/**
 * The live Lighter client against the simulator over real loopback sockets, with delivery faults:
 * dropped and duplicated book deltas and forced disconnects, at ≥ 5,000 events/s. The client's
 * book must equal the simulator's ground truth at the same nonce at every checkpoint, and the
 * trade ids it emits must be exactly those the engine produced — none lost, none twice.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { silentLogger } from "../../src/lib/log.ts";
import { atTurnEnd } from "../../src/lib/turn-end.ts";
import type { Level } from "../../src/venues/lighter/book.ts";
import { scaledInt } from "../../src/lib/decimal.ts";
import { LighterClient } from "../../src/venues/lighter/client.ts";
import type { LighterEvent, MarketInfo } from "../../src/venues/lighter/events.ts";
import type { PriceLevel } from "../../src/venues/lighter/protocol.ts";
import { type SimHandle, startSimulator } from "../../src/venues/lighter/sim/index.ts";

const RATE = 8_000;
const DISCONNECT_EVERY_MS = 2_500;
const DISCONNECTS = 3;
/** Compare the full book on every Nth applied delta of a market (and on every snapshot). */
const CHECK_EVERY = 7;

const toLevels = (levels: readonly PriceLevel[], m: MarketInfo): Level[] =>
  levels.map((l) => ({ price: scaledInt(l.price, m.priceDecimals), size: scaledInt(l.size, m.sizeDecimals) }));

/** Resolves when `done()` holds, re-checked after every client event; rejects after `ms`. */
function when(client: LighterClient, done: () => boolean, ms: number, what: string): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const off = client.on(() => {
      if (!done()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

describe("Lighter client ⇄ simulator integrity under faults", () => {
  let sim: SimHandle;
  let client: LighterClient;
  const mismatches: string[] = [];
  let comparisons = 0;
  const deltasSeen = new Map<number, number>();
  const tradeIds = new Map<number, number[]>();
  /** Newest trade id of the first `subscribed/trade` batch: the comparison starts after it. */
  const tradeStart = new Map<number, number>();
  let disconnects = 0;
  let engineEvents = 0;
  let runMs = 0;

  beforeAll(async () => {
    sim = await startSimulator({
      seed: 20260705,
      rate: RATE,
      faults: { dropDeltaPct: 1, duplicateDeltaPct: 1, disconnectEveryMs: DISCONNECT_EVERY_MS },
    });
    sim.onEvent((e) => {
      if (e.type === "book.delta" || e.type === "trades") engineEvents++;
    });
    client = new LighterClient({
      restUrl: sim.url, wsUrl: sim.wsUrl, markets: "all", log: silentLogger(),
      // A fixed ~600 ms reconnect delay: longer than the 50-trade re-send of a busy market covers,
      // so the REST backfill path is exercised on every reconnect.
      backoff: { baseMs: 600, capMs: 600, random: () => 0.999 }, stableAfterMs: 1_000, sendBurst: 1_000, sendPerMinute: 60_000,
      // No REST budget to respect on loopback: a starved test process can lose seconds of frames
      // at a disconnect, and every one of those trades must come back.
      backfillMaxPages: 500,
      // As the ingest pipeline runs it: trade frames handled at the end of their read. Every
      // trade must still come out exactly once across the forced disconnects.
      deferTradeFrames: atTurnEnd,
    });
    client.on((e) => observe(e));
  });

  afterAll(async () => {
    client?.stop();
    await sim?.stop();
  });

  function compare(marketId: number, nonce: number, label: string): void {
    const m = client.markets.find((x) => x.marketId === marketId)!;
    const truth = sim.truth.bookAt(marketId, nonce);
    const book = client.book(marketId)!;
    if (!truth) return void mismatches.push(`${label} m${marketId}@${nonce}: no truth`);
    comparisons++;
    const same =
      Bun.deepEquals(book.levels("bid"), toLevels(truth.bids, m)) && Bun.deepEquals(book.levels("ask"), toLevels(truth.asks, m));
    if (!same) mismatches.push(`${label} m${marketId}@${nonce}: book differs`);
  }

  function observe(e: LighterEvent): void {
    switch (e.type) {
      case "book.snapshot":
        return compare(e.marketId, e.nonce, "snapshot");
      case "book.delta": {
        const n = (deltasSeen.get(e.marketId) ?? 0) + 1;
        deltasSeen.set(e.marketId, n);
        if (n % CHECK_EVERY === 0) compare(e.marketId, e.nonce, "delta");
        return;
      }
      case "trades": {
        const ids = tradeIds.get(e.marketId) ?? [];
        for (const t of e.trades) ids.push(t.id);
        tradeIds.set(e.marketId, ids);
        if (!tradeStart.has(e.marketId)) tradeStart.set(e.marketId, Math.max(...e.trades.map((t) => t.id)));
        return;
      }
      case "connection":
        if (e.state === "disconnected") disconnects++;
        return;
    }
  }

  test(
    "books equal the simulator's at every checkpoint and every trade id arrives exactly once",
    async () => {
      const t0 = performance.now();
      await client.start();
      // Act: run under faults until the simulator has cut the connection several times.
      await when(client, () => disconnects >= DISCONNECTS, 30_000, `${DISCONNECTS} disconnects`);
      runMs = performance.now() - t0;
      const faultStats = sim.stats().faults;

      // Quiesce: faults off, let every market apply fresh deltas (a drop is only detectable by the
      // next delta), then stop the engine and wait until the client has caught up exactly.
      sim.setFaults({ dropDeltaPct: 0, duplicateDeltaPct: 0, disconnectEveryMs: 0 });
      const base = new Map(deltasSeen);
      await when(client, () => client.markets.every((m) => (deltasSeen.get(m.marketId) ?? 0) >= (base.get(m.marketId) ?? 0) + 5 && client.bookState(m.marketId)?.state === "live"), 10_000, "fresh deltas on every market");
      sim.pause();
      const caughtUp = () =>
        client.markets.every((m) => {
          const lastTrade = sim.truth.tradeIds(m.marketId).at(-1) ?? -1;
          const ids = tradeIds.get(m.marketId) ?? [];
          return client.bookState(m.marketId)?.nonce === sim.truth.nonce(m.marketId) && (ids.length === 0 ? lastTrade < 0 : Math.max(...ids.slice(-50)) >= lastTrade);
        });
      await when(client, caughtUp, 10_000, "the client to catch up with the paused engine");

      // Assert: the faults really happened and were recovered from.
      expect(faultStats.dropped).toBeGreaterThan(0);
      expect(faultStats.duplicated).toBeGreaterThan(0);
      expect(faultStats.disconnects).toBeGreaterThanOrEqual(DISCONNECTS);
      expect(client.stats.gaps).toBeGreaterThan(0);
      expect(client.stats.duplicateDeltas).toBeGreaterThan(0);
      expect(client.stats.backfilledTrades).toBeGreaterThan(0);
      expect(client.stats.backfillTruncations).toBe(0);
      expect(client.stats.malformedFrames).toBe(0);
      expect(engineEvents / (runMs / 1000)).toBeGreaterThanOrEqual(5_000);

      // Books: every checkpoint matched, plus a final full compare at the engine's last nonce.
      for (const m of client.markets) compare(m.marketId, sim.truth.nonce(m.marketId)!, "final");
      expect(mismatches).toEqual([]);
      expect(comparisons).toBeGreaterThan(200);

      // Trades: exactly the engine's ids after the first snapshot, each once.
      for (const m of client.markets) {
        const got = tradeIds.get(m.marketId) ?? [];
        expect(new Set(got).size).toBe(got.length);
        const start = tradeStart.get(m.marketId) ?? -1;
        const want = sim.truth.tradeIds(m.marketId).filter((id) => id > start);
        const have = got.filter((id) => id > start).sort((a, b) => a - b);
        expect({ market: m.marketId, ids: have }).toEqual({ market: m.marketId, ids: want });
      }
      console.log(
        `lighter integrity: ${Math.round(engineEvents / (runMs / 1000))} engine events/s over ${(runMs / 1000).toFixed(1)} s, ` +
          `${comparisons} book checkpoints, ${client.stats.tradesEmitted} trades, faults ${JSON.stringify(faultStats)}, ` +
          `client gaps ${client.stats.gaps} dup-deltas ${client.stats.duplicateDeltas} backfilled ${client.stats.backfilledTrades} connects ${client.stats.connects}`,
      );
    },
    90_000,
  );
});

describe("Lighter client ⇄ simulator: reordered deltas and a stall", () => {
  let sim: SimHandle;
  let client: LighterClient;
  const states: string[] = [];
  const resyncReasons = new Set<string>();
  let checked = 0;
  const bad: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ seed: 99, rate: 2_000, markets: [0, 1], faults: { reorderDeltaPct: 2 } });
    client = new LighterClient({
      restUrl: sim.url, wsUrl: sim.wsUrl, markets: [0, 1], log: silentLogger(),
      backoff: { baseMs: 20, capMs: 100 }, pingIntervalMs: 200, silenceTimeoutMs: 600, sendBurst: 1_000, sendPerMinute: 60_000,
    });
    client.on((e) => {
      if (e.type === "connection") states.push(`${e.state} ${e.reason ?? ""}`.trim());
      if (e.type === "book.resync") resyncReasons.add(e.reason);
      if (e.type === "book.delta" && e.nonce % 5 === 0) {
        const m = client.markets.find((x) => x.marketId === e.marketId)!;
        const truth = sim.truth.bookAt(e.marketId, e.nonce);
        checked++;
        if (!truth || !Bun.deepEquals(e.book.levels("bid"), toLevels(truth.bids, m)) || !Bun.deepEquals(e.book.levels("ask"), toLevels(truth.asks, m))) {
          bad.push(`m${e.marketId}@${e.nonce}`);
        }
      }
    });
  });

  afterAll(async () => {
    client?.stop();
    await sim?.stop();
  });

  test("an out-of-order delta forces a resync and the book stays exact", async () => {
    await client.start();
    await when(client, () => client.stats.gaps >= 3 && checked >= 200, 15_000, "3 reorder gaps and 200 checks");
    expect(resyncReasons.has("gap")).toBe(true);
    expect(bad).toEqual([]);
  }, 30_000);

  test("a stall longer than the silence deadline is treated as a dead connection", async () => {
    const connectsBefore = client.stats.connects;
    sim.setFaults({ reorderDeltaPct: 0, stallMs: 1_500 });
    await when(client, () => client.stats.connects > connectsBefore, 10_000, "a reconnect after the stall");
    expect(states.some((st) => st.startsWith("disconnected 4003 silent for"))).toBe(true);
    await when(client, () => client.markets.every((m) => client.bookState(m.marketId)?.state === "live"), 10_000, "books live again");
    expect(bad).toEqual([]);
  }, 30_000);
});


describe("Lighter client ⇄ simulator: account frames parsed later", () => {
  let sim: SimHandle;
  let client: LighterClient;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 31, rate: 2_000, markets: [0] });
    client = new LighterClient({
      restUrl: sim.url, wsUrl: sim.wsUrl, markets: [0], log: silentLogger(), deferAccountFrames: true, sendBurst: 1_000, sendPerMinute: 60_000,
    });
  });

  afterAll(async () => {
    client?.stop();
    await sim?.stop();
  });

  test("tracked accounts' frames arrive unparsed and parse into their account events", async () => {
    const frames: LighterEvent[] = [];
    let direct = 0;
    const tracked = new Set<number>();
    client.on((e) => {
      if (e.type === "account") direct++;
      if (e.type === "account.frame") frames.push(e);
      // Follow the first accounts seen trading.
      if (e.type === "trades") {
        for (const t of e.trades) {
          for (const id of [t.askAccountId, t.bidAccountId]) {
            if (tracked.size < 8 && !tracked.has(id)) {
              tracked.add(id);
              client.trackAccount(id);
            }
          }
        }
      }
    });
    await client.start();
    await when(client, () => frames.length >= 12, 20_000, "a dozen account_all frames");
    const parsed = frames.map((f) => client.parseAccountFrame(f as Extract<LighterEvent, { type: "account.frame" }>));
    expect(direct).toBe(0);
    expect(client.stats.malformedFrames).toBe(0);
    expect(parsed.every((e) => e !== null && tracked.has(e.accountId))).toBe(true);
    // Each account's first frame is its subscription's snapshot, the later ones updates.
    const seen = new Set<number>();
    for (const e of parsed) {
      expect(e!.snapshot).toBe(!seen.has(e!.accountId));
      seen.add(e!.accountId);
    }
    expect(parsed.some((e) => !e!.snapshot)).toBe(true);
  }, 30_000);
});
