import { describe, expect, test } from "bun:test";
import { applyNetFill, fillFeeMicro, fundingPaymentMicro, quoteMicro, rate4FromPercent } from "./positions.ts";

const ETH = { sizeDecimals: 4, priceDecimals: 2 };

describe("applyNetFill (one-way net positions)", () => {
  test("opening and adding accumulate the entry quote; nothing is realised", () => {
    const a = applyNetFill({ size: 0, entryQuote: 0 }, ETH, true, 10_000, 300_000); // buy 1 @ 3000
    expect(a).toEqual({ after: { size: 10_000, entryQuote: 3_000_000_000 }, realized: 0 });
    const b = applyNetFill(a.after, ETH, true, 5_000, 310_000); // buy 0.5 @ 3100
    expect(b).toEqual({ after: { size: 15_000, entryQuote: 4_550_000_000 }, realized: 0 });
  });

  test("reducing realises the price difference on the closed share of the entry", () => {
    const r = applyNetFill({ size: 15_000, entryQuote: 4_550_000_000 }, ETH, false, 5_000, 320_000); // sell 0.5 @ 3200
    // closed entry = floor(4550 × 1/3) = 1516.666666; closed quote 1600.
    expect(r.after).toEqual({ size: 10_000, entryQuote: 4_550_000_000 - 1_516_666_666 });
    expect(r.realized).toBe(1_600_000_000 - 1_516_666_666);
  });

  test("a short gains when bought back lower; closing exactly flattens to a zero entry", () => {
    const r = applyNetFill({ size: -20_000, entryQuote: 6_000_000_000 }, ETH, true, 20_000, 290_000);
    expect(r).toEqual({ after: { size: 0, entryQuote: 0 }, realized: 200_000_000 });
  });

  test("a fill larger than the position flips it, opening the rest at the fill price", () => {
    const r = applyNetFill({ size: 10_000, entryQuote: 3_000_000_000 }, ETH, false, 30_000, 280_000);
    expect(r.realized).toBe(-200_000_000);
    expect(r.after).toEqual({ size: -20_000, entryQuote: 5_600_000_000 });
  });
});

describe("cash moved by fills and funding", () => {
  test("quote and fees in micro-units", () => {
    expect(quoteMicro(ETH, 5, 236_131)).toBe(1_180_655); // 0.0005 × 2361.31
    expect(fillFeeMicro(291_492_488, 196)).toBe(57_133); // 1.96 bp
    expect(fillFeeMicro(1_000, 0)).toBe(0);
  });

  test("funding: longs pay a positive rate, shorts receive it, rounded half away from zero", () => {
    // 2 ETH × 3000 × 0.0012 % = 0.072 USDC.
    expect(fundingPaymentMicro(20_000, ETH, 300_000, 12)).toBe(-72_000);
    expect(fundingPaymentMicro(-20_000, ETH, 300_000, 12)).toBe(72_000);
    expect(fundingPaymentMicro(1, ETH, 1, 5)).toBe(0);
    expect(fundingPaymentMicro(1, { sizeDecimals: 1, priceDecimals: 0 }, 1, 5)).toBe(-1); // −0.5 → −1
  });

  test("percent rate strings to 0.0001 % units", () => {
    expect(rate4FromPercent("0.0012")).toBe(12);
    expect(rate4FromPercent("-0.0500")).toBe(-500);
    expect(rate4FromPercent("1.5")).toBe(15_000);
    expect(rate4FromPercent("abc")).toBeNull();
  });
});
