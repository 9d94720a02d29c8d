/**
 * Validation and compilation of a rule as the client wrote it.
 *
 * - `ruleProblems(rule)` lists every problem with the path that caused it (for a 400 answer).
 * - `compileRule(rule)` turns a valid rule into exact thresholds: each value becomes an integer
 *   scaled by 10^18 (`VALUE_DECIMALS`), so "0.1" is exactly 10^17 and no binary float is ever
 *   compared. Binding to a market (bind.ts) then turns those into comparison keys in the field's
 *   own unit.
 *
 * Limits: 1–10 conditions (`MAX_CONDITIONS`); a value is a finite JSON number or a plain decimal
 * string (optional sign, digits, optional fraction; no exponent, no spaces) with at most 18 digits
 * before and 18 after the point. JSON numbers are taken as their shortest decimal spelling
 * (`0.1` is 0.1, not the double nearest to it); a number JSON spelled with an exponent within those
 * bounds (`1e-7`) is accepted.
 */
import { SIGNAL_FIELDS, SIGNAL_OPS, type SignalField, type SignalOp, type SignalRule } from "./rule.ts";

/** Most conditions in one rule. */
export const MAX_CONDITIONS = 10;
/** Most digits on either side of the decimal point of a value. */
export const MAX_VALUE_DIGITS = 18;
/** Scale of compiled values. */
export const VALUE_DECIMALS = 18;

/**
 * Largest threshold magnitude on the USD fields (notional, depth, heatmap at risk). They compare in
 * micro-dollars as safe integers, exact up to about $4.5 billion; values beyond that still compare
 * correctly against any threshold within this bound.
 */
export const MAX_USD_THRESHOLD = 4_000_000_000n;
const USD_FIELDS: ReadonlySet<string> = new Set(["trade_notional", "bid_depth", "ask_depth", "heatmap_long_at_risk", "heatmap_short_at_risk"]);

/** One problem of a rule: where (e.g. `rule_definition.conditions[1].value`) and what. */
export interface RuleProblem {
  path: string;
  message: string;
}

/** One condition with its value exact: `scaled` = value × 10^18. */
export interface CompiledCondition {
  field: SignalField;
  op: SignalOp;
  /** The value as a normalised decimal string (for display and payloads). */
  value: string;
  scaled: bigint;
}

export interface CompiledRule {
  conditions: CompiledCondition[];
  logic: "AND" | "OR";
  /** Distinct fields the rule reads, in first-mention order. */
  fields: SignalField[];
}

const PLAIN = /^([+-])?(\d+)(?:\.(\d+))?$/;
const EXPONENT = /^(-)?(\d+)(?:\.(\d+))?e([+-]\d+)$/;

/** A JSON number's shortest decimal spelling, with an exponent expanded; null when not finite. */
function numberText(n: number): string | null {
  if (!Number.isFinite(n)) return null;
  const s = String(n);
  const m = EXPONENT.exec(s);
  if (!m) return s;
  const [, sign = "", whole = "", frac = "", expText = "0"] = m;
  const exp = Number(expText);
  if (Math.abs(exp) > 2 * MAX_VALUE_DIGITS) return null;
  const digits = whole + frac;
  const point = whole.length + exp;
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Parses a value into (normalised text, scaled bigint), or the reason it is refused. */
export function parseRuleValue(value: unknown): { text: string; scaled: bigint } | { error: string } {
  let text: string | null;
  if (typeof value === "number") {
    text = numberText(value);
    if (text === null) return { error: "must be a finite number" };
  } else if (typeof value === "string") {
    if (value.length > 2 * MAX_VALUE_DIGITS + 2) return { error: "is too long" };
    text = value;
  } else return { error: "must be a number or a decimal string" };
  const m = PLAIN.exec(text);
  if (!m) return { error: "must be a plain decimal (digits, an optional point and fraction; no exponent)" };
  const [, sign, whole = "", frac = ""] = m;
  const intDigits = whole.replace(/^0+(?=\d)/, "");
  const fracDigits = frac.replace(/0+$/, "");
  if (intDigits.length > MAX_VALUE_DIGITS || fracDigits.length > MAX_VALUE_DIGITS) {
    return { error: `has more than ${MAX_VALUE_DIGITS} digits before or after the point` };
  }
  const magnitude = BigInt(intDigits + fracDigits.padEnd(VALUE_DECIMALS, "0"));
  const negative = sign === "-" && magnitude !== 0n;
  const normal = (negative ? "-" : "") + intDigits + (fracDigits ? `.${fracDigits}` : "");
  return { text: normal, scaled: negative ? -magnitude : magnitude };
}

const isField = (f: unknown): f is SignalField => typeof f === "string" && (SIGNAL_FIELDS as readonly string[]).includes(f);
const isOp = (o: unknown): o is SignalOp => typeof o === "string" && (SIGNAL_OPS as readonly string[]).includes(o);

/**
 * Every problem of `rule` (anything the client sent as `rule_definition`), each with its path under
 * `prefix`. An empty list means `compileRule` accepts it.
 */
export function ruleProblems(rule: unknown, prefix = "rule_definition"): RuleProblem[] {
  const out: RuleProblem[] = [];
  if (typeof rule !== "object" || rule === null || Array.isArray(rule)) return [{ path: prefix, message: "must be an object" }];
  const r = rule as Record<string, unknown>;
  if (r.logic !== "AND" && r.logic !== "OR") out.push({ path: `${prefix}.logic`, message: "must be AND or OR" });
  const conditions = r.conditions;
  if (!Array.isArray(conditions)) {
    out.push({ path: `${prefix}.conditions`, message: "must be an array" });
    return out;
  }
  if (conditions.length < 1 || conditions.length > MAX_CONDITIONS) {
    out.push({ path: `${prefix}.conditions`, message: `must hold 1 to ${MAX_CONDITIONS} conditions` });
  }
  conditions.slice(0, MAX_CONDITIONS).forEach((c: unknown, i) => {
    const at = `${prefix}.conditions[${i}]`;
    if (typeof c !== "object" || c === null || Array.isArray(c)) {
      out.push({ path: at, message: "must be an object" });
      return;
    }
    const cond = c as Record<string, unknown>;
    if (!isField(cond.field)) out.push({ path: `${at}.field`, message: `must be one of ${SIGNAL_FIELDS.join(", ")}` });
    if (!isOp(cond.op)) out.push({ path: `${at}.op`, message: `must be one of ${SIGNAL_OPS.join(", ")}` });
    const v = parseRuleValue(cond.value);
    if ("error" in v) out.push({ path: `${at}.value`, message: v.error });
    else if (USD_FIELDS.has(String(cond.field)) && (v.scaled < 0n ? -v.scaled : v.scaled) > MAX_USD_THRESHOLD * 10n ** BigInt(VALUE_DECIMALS)) {
      out.push({ path: `${at}.value`, message: `must be at most ${MAX_USD_THRESHOLD} in absolute value for a USD field` });
    }
  });
  return out;
}

/** Thrown by `compileRule` on an invalid rule; carries every problem. */
export class RuleError extends Error {
  constructor(readonly problems: RuleProblem[]) {
    super(`invalid rule: ${problems.map((p) => `${p.path} ${p.message}`).join("; ")}`);
    this.name = "RuleError";
  }
}

/** Compiles a rule; throws `RuleError` (with every problem) when `ruleProblems` finds any. */
export function compileRule(rule: SignalRule | unknown): CompiledRule {
  const problems = ruleProblems(rule);
  if (problems.length > 0) throw new RuleError(problems);
  const r = rule as SignalRule;
  const conditions = r.conditions.map((c) => {
    const v = parseRuleValue(c.value) as { text: string; scaled: bigint };
    return { field: c.field, op: c.op, value: v.text, scaled: v.scaled };
  });
  const fields = [...new Set(conditions.map((c) => c.field))];
  return { conditions, logic: r.logic, fields };
}
