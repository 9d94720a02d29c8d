import { describe, expect, test } from "bun:test";
import { creditCap, creditPeriod, CREDIT_COSTS, higherTier, isTierId, overage, TIER_IDS, TIERS, tierWithinPlan } from "./tiers";

describe("tiers as data", () => {
  test("the guide's tier table", () => {
    const row = (id: (typeof TIER_IDS)[number]) => {
      const t = TIERS[id];
      return [t.priceUsdMonthly, t.requestsPerMinute, t.maxBatchSize, t.monthlyCredits, t.wsConnections];
    };
    expect(TIER_IDS.map(row)).toEqual([
      [0, 30, 5, 75_000, 1],
      [199, 300, 200, 750_000, 50],
      [849, 3_000, 1_000, 5_000_000, 500],
      [1_799, 30_000, 2_500, 25_000_000, 1_000],
      [null, null, 5_000, null, null],
    ]);
  });

  test("the guide's replay limits and pricing.json's facts", () => {
    expect(TIER_IDS.map((id) => [TIERS[id].replayWindowDays, TIERS[id].concurrentReplays])).toEqual([[0, 0], [7, 2], [30, 5], [90, 10], [null, null]]);
    expect([TIERS.free.wsSubscriptionsPerConnection, TIERS.starter.wsSubscriptionsPerConnection]).toEqual([5, 1_000]);
    expect([TIERS.free.overagePer100kUsd, TIERS.starter.overagePer100kUsd]).toEqual([null, 29]);
    expect([TIERS.starter.annualPriceUsdMonthly, TIERS.growth.annualPriceUsdMonthly]).toEqual([169, 699]);
    expect(TIER_IDS.map((id) => TIERS[id].enrichedAttribution)).toEqual([false, true, true, true, true]);
    expect(TIER_IDS.map((id) => TIERS[id].dataLakeAccess)).toEqual([false, true, true, true, true]);
    expect(CREDIT_COSTS).toEqual({ none: 0, standard: 1, batch: 25, heavyBatch: 50 });
    for (const id of TIER_IDS) expect(TIERS[id].id).toBe(id);
  });

  test("only Free is hard-capped; overage counts beyond the allowance; unlimited plans never overrun", () => {
    expect(TIER_IDS.map(creditCap)).toEqual([75_000, null, null, null, null]);
    expect([overage("starter", 750_001), overage("starter", 10), overage("enterprise", 10 ** 12)]).toEqual([1, 0, 0]);
  });

  test("plan order: a key tier never above the plan", () => {
    expect(tierWithinPlan("growth", "scale")).toBe(true);
    expect(tierWithinPlan("scale", "growth")).toBe(false);
    expect(higherTier("free", "enterprise")).toBe("enterprise");
    expect([isTierId("growth"), isTierId("gold"), isTierId(3)]).toEqual([true, false, false]);
  });

  test("the credit month is the UTC calendar month, resetting at 00:00 UTC on the 1st", () => {
    expect(creditPeriod(Date.UTC(2026, 0, 31, 23, 59, 59, 999))).toEqual({ month: "2026-01", start: Date.UTC(2026, 0, 1), end: Date.UTC(2026, 1, 1) });
    expect(creditPeriod(Date.UTC(2026, 1, 1)).month).toBe("2026-02");
    expect(creditPeriod(Date.UTC(2026, 11, 15))).toEqual({ month: "2026-12", start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) });
  });
});
