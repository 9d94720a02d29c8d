import { describe, expect, test } from "bun:test";
import { accountMargin, type MarginPosition } from "./margin.ts";
import { positionRisks, scenario, shockedPositions, uniformMoveToLiquidation } from "./liquidation-risk.ts";

const usdc = (x: number) => BigInt(Math.round(x * 1e6));
const ethLong: MarginPosition = {
  sign: 1, size: 180_193n, sizeDecimals: 4, entryQuote: usdc(54306.56634 - 6197.829558), mark: 301_380n, priceDecimals: 2,
  imfBp: 500, mmfBp: 120, closeoutBp: 80,
};
const collateral = usdc(9100.242706);

describe("liquidation risk", () => {
  test("distance from the mark to the §E.3 liquidation price", () => {
    const [r] = positionRisks(collateral, [ethLong]);
    expect(r!.liquidationPrice).toBeCloseTo(2191.1107231380406, 9);
    expect(r!.distancePct).toBeCloseTo(((3013.8 - 2191.1107231380406) / 3013.8) * 100, 9);
    expect(r!.breached).toBe(false);
  });

  test("margin ratio and stage, before and after a shock", () => {
    const now = scenario(collateral, [ethLong]);
    expect(now.health).toBe("healthy");
    expect(now.marginRatio).toBeCloseTo(15298.072264 / 651.678796, 6);
    const shocked = scenario(collateral, shockedPositions([ethLong], -0.275));
    expect(shocked.health).toBe("partial_liquidation");
    expect(shockedPositions([ethLong], -0.275)[0]!.mark).toBe(218_501n);
  });

  test("the uniform move to liquidation lands on TAV = MMR", () => {
    const s = uniformMoveToLiquidation(collateral, [ethLong])!;
    expect(s).toBeLessThan(0);
    // The same move expressed as a price is the liquidation price of the single position.
    expect(3013.8 * (1 + s)).toBeCloseTo(2191.1107231380406, 6);
    const m = accountMargin(collateral, shockedPositions([ethLong], s));
    expect(Math.abs(Number(m.totalAssetValue - m.maintenanceMarginRequirement))).toBeLessThan(2e6);
    // A well-collateralised long cannot be liquidated by any fall.
    expect(uniformMoveToLiquidation(usdc(1e6), [ethLong])).toBeNull();
  });
});
