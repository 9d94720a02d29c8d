import { describe, expect, test } from "bun:test";
import { parseScaled } from "../lib/decimal";
import type { WsAccountAllFrameIn } from "../venues/lighter/protocol";
import { fromAccountFrame } from "./account-router";

/** A funding payment's `change` (micro-USDC) as `fromAccountFrame` reads it. */
const changeOf = (text: string) =>
  fromAccountFrame({ funding_histories: { "0": [{ market_id: 0, timestamp: 1, change: text }] } } as unknown as WsAccountAllFrameIn, new Map()).fundings[0]!.change;

describe("account-router decimals", () => {
  test("read exactly as parseScaled reads them, 0 for what it rejects, on the fast path and off it", () => {
    const texts = [
      "0", "1", "-1", "12.5", "-0.000001", "0.0000019", "123456.789012345", "-0", "-0.0", "007.50",
      ".5", "5.", "-.5", "", "-", "1e5", "+3", " 2.5", "1.2.3", "abc", "9007199254.740993", "123456789012345678901.5",
    ];
    for (const t of texts) {
      const v = parseScaled(t, 6);
      expect(changeOf(t)).toBe(v === null ? 0 : Number(v));
    }
  });
});
