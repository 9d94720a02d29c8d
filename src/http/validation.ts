/**
 * Turns a framework validation failure into one clear 400 message naming the field and the rule.
 * Elysia coerces query and path values before checking ranges and then reports the failing value
 * without its name, so the field is recovered from the request and the rule is described from the
 * route's own schema rather than from the validator's wording.
 */
import type { TSchema } from "elysia";

type Part = "query" | "params" | "body" | "headers";

interface SchemaLike {
  type?: string | string[];
  anyOf?: SchemaLike[];
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, SchemaLike>;
  items?: SchemaLike;
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  description?: string;
}

const PART_NAME: Record<Part, string> = { query: "query parameter", params: "path parameter", body: "body field", headers: "header" };

/** Describes what a schema accepts, in words ("an integer from 1 to 1000", "one of: buy, sell"). */
export function describeSchema(schema: SchemaLike | undefined): string {
  if (!schema) return "a valid value";
  if (schema.anyOf) {
    const consts = schema.anyOf.filter((s) => s.const !== undefined).map((s) => String(s.const));
    if (consts.length === schema.anyOf.length) return `one of: ${consts.join(", ")}`;
    // Elysia wraps numeric query/path params as anyOf[string(format integer|numeric), number];
    // the constraints sit on the non-string branch (and on the wrapper).
    const typed = schema.anyOf.find((s) => s.type !== "string") ?? schema.anyOf[0];
    return describeSchema({ ...typed, ...pickBounds(schema) });
  }
  if (schema.const !== undefined) return `exactly ${JSON.stringify(schema.const)}`;
  if (schema.enum) return `one of: ${schema.enum.join(", ")}`;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "integer":
    case "number":
      return `${type === "integer" ? "an integer" : "a number"}${range(schema.minimum, schema.maximum, schema.exclusiveMinimum, schema.exclusiveMaximum)}`;
    case "string": {
      if (schema.format === "integer" || schema.format === "numeric") return "a number";
      const len = lengthRange(schema.minLength, schema.maxLength, "characters");
      if (schema.pattern) return `a string matching ${schema.pattern}${len}`;
      if (schema.format) return `a string in ${schema.format} format${len}`;
      return `a string${len}`;
    }
    case "boolean":
      return "true or false";
    case "array":
      return `an array${lengthRange(schema.minItems, schema.maxItems, "items")}`;
    case "object":
      return "an object";
    default:
      return "a valid value";
  }
}

function pickBounds(s: SchemaLike): SchemaLike {
  const out: SchemaLike = {};
  for (const k of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] as const) if (s[k] !== undefined) out[k] = s[k];
  return out;
}

function range(min?: number, max?: number, xmin?: number, xmax?: number): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  const parts: string[] = [];
  if (min !== undefined) parts.push(`≥ ${min}`);
  if (xmin !== undefined) parts.push(`> ${xmin}`);
  if (max !== undefined) parts.push(`≤ ${max}`);
  if (xmax !== undefined) parts.push(`< ${xmax}`);
  return parts.length ? ` ${parts.join(" and ")}` : "";
}

function lengthRange(min: number | undefined, max: number | undefined, unit: string): string {
  if (min !== undefined && max !== undefined) return ` of ${min} to ${max} ${unit}`;
  if (min !== undefined && min > 0) return ` of at least ${min} ${unit}`;
  if (max !== undefined) return ` of at most ${max} ${unit}`;
  return "";
}

/** Walks a JSON pointer ("/accounts/3") through object and array schemas. */
function schemaAt(schema: SchemaLike | undefined, pointer: string): SchemaLike | undefined {
  let cur = schema;
  for (const raw of pointer.split("/").filter(Boolean)) {
    if (!cur) return undefined;
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (cur.properties) cur = cur.properties[key];
    else if (cur.items) cur = cur.items;
    else if (cur.anyOf) cur = cur.anyOf.map((s) => schemaAt(s, "/" + raw)).find(Boolean);
    else return undefined;
  }
  return cur;
}

/**
 * True when `sent` (as the client wrote it) is the value the validator reports: the same text, or
 * the same number once coerced ("1e30" is reported as 1e+30, "99999999999999999999" as 1e20).
 */
export function sameSentValue(sent: unknown, reported: unknown): boolean {
  if (String(sent) === String(reported)) return true;
  return typeof reported === "number" && typeof sent === "string" && sent.trim() !== "" && Number(sent) === reported;
}

export interface ValidationIssue {
  part: Part;
  /** Failing value as reported by the validator. */
  found?: unknown;
  /** JSON pointer reported by the validator ("" when the validator lost it). */
  path: string;
  /** True when the validator says the property is missing. */
  missing: boolean;
}

/**
 * Builds the client-facing message and details. `schema` is the route's schema for `part`; `raw`
 * is what the client sent for that part (the query object, path params or parsed body).
 */
export function explainValidation(
  issue: ValidationIssue,
  schema: TSchema | undefined,
  raw: Record<string, unknown> | undefined,
): { message: string; details: Record<string, unknown> } {
  let pointer = issue.path;
  if (!pointer && raw && issue.found !== undefined) {
    // The validator checked one coerced property and dropped its name: find it by value.
    const hit = Object.entries(raw).find(([, v]) => sameSentValue(v, issue.found));
    if (hit) pointer = "/" + hit[0];
  }
  const field = pointer.split("/").filter(Boolean).join(".");
  const what = PART_NAME[issue.part];
  if (!field) {
    const expects = describeSchema(schema as SchemaLike | undefined);
    return { message: `invalid ${issue.part}: expected ${expects}`, details: { in: issue.part, rule: expects } };
  }
  const expects = describeSchema(schemaAt(schema as SchemaLike | undefined, pointer));
  const message = issue.missing ? `${what} '${field}' is required (${expects})` : `${what} '${field}' must be ${expects}`;
  return { message, details: { in: issue.part, field, rule: issue.missing ? "required" : expects } };
}
