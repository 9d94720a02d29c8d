import { describe, expect, test } from "bun:test";
import { buildHeatmap, heatmapGrid, type HeatmapPosition } from "./heatmap.ts";

describe("liquidation heatmap", () => {
  const positions: HeatmapPosition[] = [
    { sign: 1, notional: 1_000, liquidationTicks: 95.5 },
    { sign: 1, notional: 2_000, liquidationTicks: 90 },
    { sign: 1, notional: 4_000, liquidationTicks: 10 }, // out of range
    { sign: 1, notional: 8_000, liquidationTicks: null }, // safe long
    { sign: -1, notional: 16_000, liquidationTicks: 104.9 },
    { sign: -1, notional: 32_000, liquidationTicks: 110 },
    { sign: -1, notional: 64_000, liquidationTicks: null, unknown: true },
  ];

  test("buckets are aligned, dense, lowest first, and sum with out-of-range to the totals", () => {
    const map = buildHeatmap(positions, heatmapGrid(5, 88, 112));
    expect(map.grid).toEqual({ bucketTicks: 5, minTicks: 85, maxTicks: 115 });
    expect(map.buckets.map((b) => b.priceTicks)).toEqual([85, 90, 95, 100, 105, 110]);
    expect(map.buckets.map((b) => Number(b.long))).toEqual([0, 2_000, 1_000, 0, 0, 0]);
    expect(map.buckets.map((b) => Number(b.short))).toEqual([0, 0, 0, 16_000, 0, 32_000]);
    const t = map.totals;
    expect([t.long, t.short, t.longOutOfRange, t.shortOutOfRange]).toEqual([7_000n, 48_000n, 4_000n, 0n]);
    expect([t.longPositions, t.shortPositions, t.longSafePositions, t.unknownPositions]).toEqual([3, 2, 1, 1]);
    expect([t.longSafe, t.unknown]).toEqual([8_000n, 64_000n]);
    const inBuckets = map.buckets.reduce((a, b) => a + b.long + b.short, 0n);
    expect(inBuckets + t.longOutOfRange + t.shortOutOfRange).toBe(t.long + t.short);
  });

  test("cumulative: a fall liquidates every long at or above, a rise every short at or below", () => {
    const map = buildHeatmap(positions, heatmapGrid(5, 85, 115));
    expect(map.buckets.map((b) => Number(b.cumulativeLong))).toEqual([3_000, 3_000, 1_000, 0, 0, 0]);
    expect(map.buckets.map((b) => Number(b.cumulativeShort))).toEqual([0, 0, 0, 16_000, 16_000, 48_000]);
  });

  test("a grid needing too many buckets is refused", () => {
    expect(() => heatmapGrid(1, 0, 1_000_000)).toThrow(RangeError);
    expect(() => heatmapGrid(0, 0, 10)).toThrow(RangeError);
  });
});
