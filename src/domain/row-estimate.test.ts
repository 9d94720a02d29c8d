import { describe, expect, test } from "bun:test";
import { estimateRows } from "./row-estimate";

const capped = (firstTs: number, pastCapTs: number, lastTs: number, count = 9) => ({ count, capped: true, firstTs, pastCapTs, lastTs });

describe("estimateRows", () => {
  test("under the cap the count is exact, empty ranges included", () => {
    expect(estimateRows({ count: 7, capped: false, firstTs: 100, lastTs: 106, pastCapTs: null })).toEqual({ rows: 7, exact: true });
    expect(estimateRows({ count: 0, capped: false, firstTs: null, lastTs: null, pastCapTs: null })).toEqual({ rows: 0, exact: true });
  });

  test("past the cap the first rows' rate is carried over the span of the range's rows", () => {
    // 10 rows (cap 9 + 1) over 10 ms, rows until 999 ms after the first: about 1,000.
    expect(estimateRows(capped(100, 109, 1_099))).toEqual({ rows: 1_000, exact: false });
    // The same rows as the whole range ends: no extrapolation beyond what was counted.
    expect(estimateRows(capped(100, 109, 109))).toEqual({ rows: 10, exact: false });
  });

  test("a burst in one millisecond makes the rate that millisecond's", () => {
    expect(estimateRows(capped(100, 100, 199))).toEqual({ rows: 1_000, exact: false });
  });
});
