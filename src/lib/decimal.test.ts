import { describe, expect, test } from "bun:test";
import { formatNotional, formatScaled, formatUnits, parseScaledNumber, scaledInt } from "./decimal.ts";
import { createRandom } from "./random.ts";

describe("scaledInt", () => {
  test("scales, pads and truncates like parseScaledNumber", () => {
    expect(scaledInt("2361.31", 2)).toBe(236131);
    expect(scaledInt("0.0200", 4)).toBe(200);
    expect(scaledInt("99", 4)).toBe(990000);
    expect(scaledInt("2191.1107231380406", 2)).toBe(219111);
    expect(scaledInt("-0.52", 2)).toBe(-52);
    expect(scaledInt("0.0000", 4)).toBe(0);
    expect(scaledInt("64400.1", 1)).toBe(644001);
  });

  test("agrees with parseScaledNumber on random inputs", () => {
    const rnd = createRandom(7);
    for (let i = 0; i < 2000; i++) {
      const whole = String(rnd.int(0, 10_000_000));
      const frac = String(rnd.int(0, 999_999)).padStart(rnd.int(1, 6), "0");
      const text = rnd.bool() ? `${whole}.${frac}` : whole;
      const decimals = rnd.int(0, 6);
      expect(scaledInt(text, decimals)).toBe(parseScaledNumber(text, decimals));
    }
  });

  test("rejects what is not a plain decimal", () => {
    for (const bad of ["", ".", "1.2.3", "1e5", "abc", "-"]) expect(() => scaledInt(bad, 2)).toThrow(RangeError);
    expect(() => scaledInt("99999999999999999", 2)).toThrow(RangeError);
  });
});

test("formatUnits and formatNotional agree with formatScaled, also past 2^53", () => {
  const rnd = createRandom(3);
  for (let i = 0; i < 5_000; i++) {
    const v = Math.trunc(rnd.int(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) / 2 ** (i % 50));
    const d = i % 10;
    expect(formatUnits(v, d)).toBe(formatScaled(v, d));
    const price = rnd.int(1, 10 ** rnd.int(1, 9));
    const size = rnd.int(1, 10 ** rnd.int(1, 9));
    expect(formatNotional(price, size, d)).toBe(formatScaled(BigInt(price) * BigInt(size), d));
  }
  expect(formatUnits(5, 4)).toBe("0.0005");
  expect(formatUnits(-5, 2)).toBe("-0.05");
});
