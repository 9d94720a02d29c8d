import { describe, expect, test } from "bun:test";
import {
  LIGHTER_FUNDING,
  PremiumAccumulator,
  formatRate4,
  fundingPaymentMicro,
  hourlyFundingRatePct,
  premiumSamplePct,
  truncateRate4,
} from "./funding.ts";

describe("funding formula (reference §D.4)", () => {
  test("a zero premium gives the baseline 0.01%/8 = 0.00125, reported as 0.0012 %/h", () => {
    const rate = hourlyFundingRatePct(0);
    expect(rate).toBeCloseTo(0.00125, 12);
    expect(formatRate4(truncateRate4(rate))).toBe("0.0012");
  });

  test("/funding-rates reports the 8-hour fraction: 0.0012 × 8 / 100 = 9.6e-05", () => {
    expect((truncateRate4(hourlyFundingRatePct(0)) / 10_000 / 100) * 8).toBeCloseTo(9.6e-5, 12);
  });

  test("premiums within the small clamp of the interest rate still pay the interest rate", () => {
    // P + clamp(0.01 − P, ±0.05) = 0.01 whenever |0.01 − P| ≤ 0.05.
    expect(hourlyFundingRatePct(0.03)).toBeCloseTo(0.00125, 12);
    expect(hourlyFundingRatePct(-0.04)).toBeCloseTo(0.00125, 12);
  });

  test("outside the small clamp the premium passes through, offset by the clamp", () => {
    expect(hourlyFundingRatePct(0.5)).toBeCloseTo((0.5 - 0.05) / 8, 12);
    expect(hourlyFundingRatePct(-0.3)).toBeCloseTo((-0.3 + 0.05) / 8, 12);
  });

  test("the big clamp caps the rate at ±4% / 8", () => {
    expect(hourlyFundingRatePct(10)).toBeCloseTo(0.5, 12);
    expect(hourlyFundingRatePct(-10)).toBeCloseTo(-0.5, 12);
  });

  test("the reported rate is truncated toward zero at 4 decimals", () => {
    expect(truncateRate4(0.00129)).toBe(12);
    expect(truncateRate4(-0.00129)).toBe(-12);
    expect(formatRate4(-5)).toBe("-0.0005");
    expect(formatRate4(28)).toBe("0.0028");
  });

  test("the premium sample uses impact prices against the index", () => {
    expect(premiumSamplePct(101, 102, 100)).toBeCloseTo(1, 12); // bids above index: longs pay
    expect(premiumSamplePct(98, 99, 100)).toBeCloseTo(-1, 12); // asks below index: shorts pay
    expect(premiumSamplePct(99, 101, 100)).toBe(0);
    expect(premiumSamplePct(undefined, undefined, 100)).toBe(0);
  });

  test("P is the mean of the hour's samples and resets at settlement", () => {
    const acc = new PremiumAccumulator();
    acc.add(0.1);
    acc.add(0.3);
    expect(acc.mean).toBeCloseTo(0.2, 12);
    acc.reset();
    expect(acc.mean).toBe(0);
  });

  test("settlement: payment = −sign × size × index × rate / 100 (longs pay when the rate is positive)", () => {
    // /fundings example: value 0.02707872 per ETH = index 2256.56 × 0.0012 / 100.
    const perEth = fundingPaymentMicro(10_000, 4, 225_656, 2, 12); // 1 ETH long
    expect(perEth).toBe(-27_079); // −0.02707872 USDC, rounded to micro-units
    expect(fundingPaymentMicro(-10_000, 4, 225_656, 2, 12)).toBe(27_079);
    expect(fundingPaymentMicro(10_000 * 100, 4, 225_656, 2, 12)).toBe(-2_707_872);
  });

  test("the parameters are the live venue's", () => {
    expect(LIGHTER_FUNDING).toEqual({ interestRatePct: 0.01, smallClampPct: 0.05, bigClampPct: 4, premiumMultiplier: 1 });
  });
});
