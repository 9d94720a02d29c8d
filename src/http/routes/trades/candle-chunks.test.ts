import { describe, expect, test } from "bun:test";
import { RESOLUTION_MS } from "../../../domain/time";
import { createRandom } from "../../../lib/random";
import type { MarketInfo } from "../../../market/live";
import type { CandleRecord } from "../../../store/ports";
import { CandleChunkCache, CHUNK_BARS } from "./candle-chunks";
import { encodeCandlesData } from "./candles-json";

const market: MarketInfo = {
  venue: "lighter", marketId: 3, symbol: "SOL", priceDecimals: 3, sizeDecimals: 2, status: "active",
  minInitialMarginFraction: 0, maintenanceMarginFraction: 0, closeoutMarginFraction: 0,
};
const MIN = RESOLUTION_MS["1m"];
const T0 = Date.UTC(2026, 0, 1);

/** `count` 1m bars from T0, with gaps (quiet minutes) and one quote volume past 2^53. */
function history(count: number, seed = 5): CandleRecord[] {
  const rnd = createRandom(seed);
  const bars: CandleRecord[] = [];
  for (let slot = 0; bars.length < count; slot++) {
    if (rnd.int(0, 9) === 0) continue;
    const open = rnd.int(100_000, 200_000);
    const volume = rnd.int(0, 5) === 0 ? 0 : rnd.int(1, 10_000_000);
    bars.push({
      venue: "lighter", marketId: 3, resolution: "1m", openTime: T0 + slot * MIN, open, high: open + rnd.int(0, 500), low: open - rnd.int(0, 500),
      close: open + rnd.int(-400, 400), volume, quoteVolume: bars.length === 17 ? 2n ** 60n + 7n : BigInt(volume) * BigInt(open), tradeCount: volume === 0 ? 0 : rnd.int(1, 900), buyVolume: Math.floor(volume / 3),
    });
  }
  return bars;
}

const join = (parts: Uint8Array[]) => Buffer.concat(parts).toString("utf8");
const plain = (rows: readonly CandleRecord[]) => Buffer.from(encodeCandlesData(market, "1m", rows)).toString("utf8");

describe("CandleChunkCache", () => {
  test("answers exactly what a one-pass encode answers, for cold, warm, shifted and partial windows", () => {
    const bars = history(3 * CHUNK_BARS + 123);
    const cache = new CandleChunkCache();
    const windows: Array<[number, number]> = [[0, bars.length], [0, bars.length], [5, 2_000], [999, 1_001], [1_500, bars.length], [0, 0], [42, 43]];
    for (const [from, to] of windows) {
      const rows = bars.slice(from, to);
      expect(join(cache.encode(market, "1m", rows))).toBe(plain(rows));
    }
    expect(JSON.parse(join(cache.encode(market, "1m", bars))).candles).toHaveLength(bars.length);
  });

  test("a bar that changed after it was cached (open bar, late write) is served as the store now has it", () => {
    const bars = history(2 * CHUNK_BARS);
    const cache = new CandleChunkCache();
    cache.encode(market, "1m", bars);
    const changed = bars.map((b, i) => (i === bars.length - 1 ? { ...b, close: b.close + 1, volume: b.volume + 5, tradeCount: b.tradeCount + 1 } : b));
    changed[10] = { ...changed[10]!, quoteVolume: changed[10]!.quoteVolume + 1n };
    expect(join(cache.encode(market, "1m", changed))).toBe(plain(changed));
    // A bar written late into a gap of an old chunk shifts every later bar of that chunk.
    const gap = changed.findIndex((b, i) => i > 0 && b.openTime - changed[i - 1]!.openTime > MIN);
    const late = { ...changed[gap]!, openTime: changed[gap - 1]!.openTime + MIN };
    const withLate = [...changed.slice(0, gap), late, ...changed.slice(gap)];
    expect(join(cache.encode(market, "1m", withLate))).toBe(plain(withLate));
    expect(join(cache.encode(market, "1m", withLate))).toBe(plain(withLate));
  });

  test("other decimals or another resolution never share cached bytes", () => {
    const bars = history(500);
    const cache = new CandleChunkCache();
    cache.encode(market, "1m", bars);
    const finer = { ...market, priceDecimals: 4 };
    expect(join(cache.encode(finer, "1m", bars))).toBe(Buffer.from(encodeCandlesData(finer, "1m", bars)).toString("utf8"));
    const hourly = bars.map((b) => ({ ...b, resolution: "1h" as const }));
    expect(join(cache.encode(market, "1h", hourly))).toBe(Buffer.from(encodeCandlesData(market, "1h", hourly)).toString("utf8"));
  });

  test("holds at most maxBars bars, dropping the least recently used chunks", () => {
    const bars = history(5 * CHUNK_BARS);
    const cache = new CandleChunkCache({ maxBars: 2 * CHUNK_BARS });
    expect(join(cache.encode(market, "1m", bars))).toBe(plain(bars));
    expect(cache.size).toBeLessThanOrEqual(2 * CHUNK_BARS);
    expect(cache.size).toBeGreaterThan(0);
    expect(join(cache.encode(market, "1m", bars))).toBe(plain(bars));
  });
});
