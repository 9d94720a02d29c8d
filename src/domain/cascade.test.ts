import { describe, expect, test } from "bun:test";
import { simulateCascade } from "./cascade.ts";

const market = { sizeDecimals: 0, priceDecimals: 0 };

describe("liquidation cascade", () => {
  test("a fall liquidates longs into the bids step by step until no new liquidation price is reached", () => {
    const r = simulateCascade({
      direction: "down", markTicks: 100, shockTicks: 97, market, maxSteps: 10,
      positions: [{ liquidationTicks: 98, size: 5 }, { liquidationTicks: 95, size: 4 }, { liquidationTicks: 80, size: 100 }],
      // The bids at 99 and 98 were consumed by the shock itself.
      book: [[99, 50], [98, 50], [97, 3], [96, 3], [95, 10], [90, 100]],
    });
    // Step 1: the 98 long (5) sells 3 @ 97 and 2 @ 96 → price 96. Nothing else reached → stable.
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]).toMatchObject({ triggerTicks: 97, positions: 1, size: 5, filledSize: 5, filledQuote: (3 * 97 + 2 * 96) * 1e6, endTicks: 96 });
    expect(r.steps[0]!.vwapTicks).toBeCloseTo((3 * 97 + 2 * 96) / 5, 9);
    expect(r.stoppedBy).toBe("stable");
    expect(r.finalTicks).toBe(96);
  });

  test("each step's impact can reach the next liquidation prices; an exhausted book stops it", () => {
    const r = simulateCascade({
      direction: "down", markTicks: 100, shockTicks: 98, market, maxSteps: 10,
      positions: [{ liquidationTicks: 98, size: 5 }, { liquidationTicks: 96.5, size: 4 }, { liquidationTicks: 90, size: 100 }],
      book: [[97, 3], [96, 3], [95, 4], [91, 1]],
    });
    expect(r.steps.map((s) => [s.triggerTicks, s.size, s.filledSize, s.endTicks])).toEqual([
      [98, 5, 5, 96],
      [96, 4, 4, 95],
    ]);
    expect(r.stoppedBy).toBe("stable");

    const deep = simulateCascade({
      direction: "down", markTicks: 100, shockTicks: 92, market, maxSteps: 10,
      positions: [{ liquidationTicks: 92, size: 5 }, { liquidationTicks: 90.5, size: 10 }],
      book: [[91, 3], [90, 3]],
    });
    expect(deep.stoppedBy).toBe("book_exhausted");
    expect(deep.steps.map((s) => [s.filledSize, s.endTicks])).toEqual([[5, 90], [1, 90]]);
    expect(deep.unfilledSize).toBe(9);
  });

  test("a rise liquidates shorts into the asks; max_steps bounds the walk", () => {
    const r = simulateCascade({
      direction: "up", markTicks: 100, shockTicks: 101, market, maxSteps: 1,
      positions: [{ liquidationTicks: 101, size: 2 }, { liquidationTicks: 102, size: 2 }],
      book: [[100, 9], [101, 1], [102, 1], [103, 10]],
    });
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]).toMatchObject({ filledSize: 2, endTicks: 102 });
    expect(r.steps[0]!.slippagePct).toBeCloseTo(((101.5 - 101) / 101) * 100, 9);
    expect(r.stoppedBy).toBe("max_steps");
  });
});
