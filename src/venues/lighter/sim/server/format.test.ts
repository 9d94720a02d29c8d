import { describe, expect, test } from "bun:test";
import { formatScaled } from "../../../../lib/decimal.ts";
import { fixed } from "./format.ts";

describe("wire formatting", () => {
  test("fixed() equals the library's bigint formatter", () => {
    const values = [0, 1, -1, 5, -5, 99, 100, 12_345, -12_345, 1_000_000, 987_654_321_012, -3, 3_999_999_999_999_999, 2 ** 52, -(2 ** 53 - 1)];
    let seed = 7;
    for (let i = 0; i < 20_000; i++) values.push(((seed = (seed * 48271) % 2147483647), Math.floor((seed / 2147483647 - 0.5) * 10 ** (i % 16))));
    for (const v of values) for (const d of [0, 1, 2, 3, 4, 5, 6, 8, 10, 12]) expect(fixed(v, d)).toBe(formatScaled(v, d));
  });
});
