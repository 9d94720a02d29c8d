import { describe, expect, test } from "bun:test";
import { compileRule, MAX_CONDITIONS, parseRuleValue, RuleError, ruleProblems } from "./compile";
import { keyOfDecimal, keyOfNotional, keyOfScaled, keyOfTicks } from "./fields";

/** The exact value of a valid literal. */
const scaledOf = (v: string): bigint => {
  const r = parseRuleValue(v);
  if ("error" in r) throw new Error(r.error);
  return r.scaled;
};
const cond = (value: unknown, field = "trade_price", op = "gt") => ({ field, op, value });

describe("ruleProblems", () => {
  test("a valid rule has none", () => {
    expect(ruleProblems({ logic: "AND", conditions: [cond(100), cond("0.5", "funding_rate", "crosses_below")] })).toEqual([]);
  });

  test("names the offending path of each problem", () => {
    const problems = ruleProblems({ logic: "XOR", conditions: [cond(1), cond(1, "price"), cond(1, "trade_size", "between"), cond("1e5")] });
    expect(problems.map((p) => p.path)).toEqual([
      "rule_definition.logic",
      "rule_definition.conditions[1].field",
      "rule_definition.conditions[2].op",
      "rule_definition.conditions[3].value",
    ]);
  });

  test("USD fields take thresholds up to 4 billion either way; price and size fields are not bounded so", () => {
    const ok = ruleProblems({ logic: "OR", conditions: [cond("4000000000", "heatmap_long_at_risk"), cond(-4_000_000_000, "trade_notional"), cond("5000000000", "trade_price")] });
    expect(ok).toEqual([]);
    const over = ruleProblems({ logic: "OR", conditions: [cond("4000000000.000001", "heatmap_short_at_risk"), cond(-5_000_000_000, "bid_depth")] });
    expect(over.map((p) => p.path)).toEqual(["rule_definition.conditions[0].value", "rule_definition.conditions[1].value"]);
  });

  test("refuses empty, oversized and non-array condition lists", () => {
    expect(ruleProblems({ logic: "OR", conditions: [] })[0]!.path).toBe("rule_definition.conditions");
    const many = Array.from({ length: MAX_CONDITIONS + 1 }, () => cond(1));
    expect(ruleProblems({ logic: "OR", conditions: many })).toHaveLength(1);
    expect(ruleProblems({ logic: "OR", conditions: "x" })[0]!.message).toContain("array");
    expect(ruleProblems(null)[0]!.path).toBe("rule_definition");
    expect(ruleProblems({ logic: "OR", conditions: [null] })[0]!.path).toBe("rule_definition.conditions[0]");
  });

  test.each([
    [Number.NaN], [Number.POSITIVE_INFINITY], ["NaN"], ["Infinity"], ["1e3"], [" 1"], ["1."], [".5"], ["0x10"], [""], [true], [null], [{}],
    ["1".repeat(19)], ["0." + "1".repeat(19)], ["9".repeat(40)],
  ])("refuses the value %p", (value) => {
    expect(ruleProblems({ logic: "AND", conditions: [cond(value)] })[0]!.path).toBe("rule_definition.conditions[0].value");
  });
});

describe("parseRuleValue", () => {
  test("numbers are taken as their shortest decimal spelling", () => {
    expect(parseRuleValue(0.1)).toEqual({ text: "0.1", scaled: 10n ** 17n });
    expect(parseRuleValue(1e-7)).toEqual({ text: "0.0000001", scaled: 10n ** 11n });
    expect(parseRuleValue(1.5e20)).toMatchObject({ error: expect.any(String) });
    expect(parseRuleValue(-2500)).toEqual({ text: "-2500", scaled: -2500n * 10n ** 18n });
  });

  test("strings are normalised and exact to 18 decimals", () => {
    expect(parseRuleValue("+007.2500")).toEqual({ text: "7.25", scaled: 725n * 10n ** 16n });
    expect(parseRuleValue("-0.000000000000000001")).toEqual({ text: "-0.000000000000000001", scaled: -1n });
    expect(parseRuleValue("-0")).toEqual({ text: "0", scaled: 0n });
  });
});

describe("compileRule", () => {
  test("compiles values exactly and lists the fields read", () => {
    const r = compileRule({ logic: "OR", conditions: [cond("0.3"), cond(0.1, "trade_size"), cond(2, "trade_price", "lt")] });
    expect(r.conditions[0]!.scaled).toBe(3n * 10n ** 17n);
    expect(r.fields).toEqual(["trade_price", "trade_size"]);
  });

  test("throws a RuleError carrying every problem", () => {
    expect(() => compileRule({ logic: "AND", conditions: [cond("x")] })).toThrow(RuleError);
  });
});

describe("keys compare exactly in the field's unit", () => {
  // 0.1 + 0.2 is 0.30000000000000004 as doubles; here a price of 0.30 at 2 decimals equals "0.3".
  test("0.1 + 0.2 equals 0.3", () => {
    const threshold = keyOfScaled(scaledOf("0.3"), 18, 2);
    expect(keyOfTicks(10 + 20)).toBe(threshold);
  });

  test("a threshold finer than the unit sits strictly between two units", () => {
    const k = keyOfScaled(scaledOf("100.005"), 18, 2); // price decimals 2
    expect(keyOfTicks(10000)).toBeLessThan(k);
    expect(keyOfTicks(10001)).toBeGreaterThan(k);
    const neg = keyOfScaled(scaledOf("-0.5"), 18, 0);
    expect(keyOfTicks(-1)).toBeLessThan(neg);
    expect(keyOfTicks(0)).toBeGreaterThan(neg);
  });

  test("notional in micro-dollars, also beyond 2^53 of ticks", () => {
    // 3000.12 × 1.2345 = 3703.648140 (price decimals 2, size 4).
    expect(keyOfNotional(300012, 12345, 6)).toBe(keyOfScaled(scaledOf("3703.64814"), 18, 6));
    // 12345678.91234567 × 99999999.9 (decimals 8 + 1): the product exceeds 2^53 ticks.
    const big = keyOfNotional(1234567891234567, 999999999, 9);
    expect(big).toBe(keyOfScaled(1234567891234567n * 999999999n, 9, 6));
    expect(big % 2).toBe(1);
  });

  test("decimal strings with many digits", () => {
    expect(keyOfDecimal("0.00012345678901", 10)).toBe(2 * 1234567 + 1);
    expect(keyOfDecimal("-0.0001", 10)).toBe(-2 * 1_000_000);
    expect(keyOfDecimal("abc", 10)).toBeNull();
  });
});
