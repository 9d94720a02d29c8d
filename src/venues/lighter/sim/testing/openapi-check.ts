/**
 * A small checker of JSON values against the Swagger 2.0 definitions of the SDK's own
 * `openapi.json` (required properties, JSON types, enums, nested `$ref`s, arrays and maps) — enough
 * to prove a simulator response is what the generated SDK expects, without a schema library.
 */

/** The subset of a Swagger 2.0 schema the checker understands. */
export interface SwaggerSchema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, SwaggerSchema>;
  items?: SwaggerSchema;
  additionalProperties?: SwaggerSchema | boolean;
}

/** The parts of the document the checker reads. */
export interface SwaggerDoc {
  paths: Record<string, Record<string, { responses: Record<string, { schema?: SwaggerSchema }> }>>;
  definitions: Record<string, SwaggerSchema>;
}

/** Required properties the simulator deliberately omits, with the reason (checked by name). */
export type AllowedOmissions = Readonly<Record<string, string>>;

const jsonType = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v;

/** Name of the definition a `$ref` points at. */
export const refName = (ref: string): string => ref.slice(ref.lastIndexOf("/") + 1);

/** The response schema of `GET path` for `status` (default 200). */
export function responseSchema(doc: SwaggerDoc, path: string, status = "200"): SwaggerSchema | undefined {
  return doc.paths[path]?.get?.responses[status]?.schema;
}

/**
 * Problems of `value` against `schema`, as `path: message` strings (empty when valid). `allowed`
 * names required properties (as `Definition.property`) that may be absent.
 */
export function check(doc: SwaggerDoc, schema: SwaggerSchema, value: unknown, path = "$", allowed: AllowedOmissions = {}, owner = ""): string[] {
  if (schema.$ref) {
    const name = refName(schema.$ref);
    const def = doc.definitions[name];
    if (!def) return [`${path}: unknown definition ${name}`];
    return check(doc, def, value, path, allowed, name);
  }
  const problems: string[] = [];
  const actual = jsonType(value);
  switch (schema.type) {
    case "integer":
      if (actual !== "integer") problems.push(`${path}: expected integer, got ${actual}`);
      break;
    case "number":
      if (actual !== "integer" && actual !== "number") problems.push(`${path}: expected number, got ${actual}`);
      break;
    case "string":
    case "boolean":
      if (actual !== schema.type) problems.push(`${path}: expected ${schema.type}, got ${actual}`);
      break;
    case "array":
      if (actual !== "array") problems.push(`${path}: expected array, got ${actual}`);
      else if (schema.items) (value as unknown[]).forEach((item, i) => problems.push(...check(doc, schema.items as SwaggerSchema, item, `${path}[${i}]`, allowed)));
      break;
    case "object":
    case undefined: {
      if (schema.properties === undefined && schema.additionalProperties === undefined) break;
      if (actual !== "object") {
        problems.push(`${path}: expected object, got ${actual}`);
        break;
      }
      const obj = value as Record<string, unknown>;
      for (const key of schema.required ?? []) {
        if (!(key in obj) && !(`${owner}.${key}` in allowed)) problems.push(`${path}.${key}: required property missing`);
      }
      for (const [key, sub] of Object.entries(schema.properties ?? {})) {
        if (key in obj && obj[key] !== undefined) problems.push(...check(doc, sub, obj[key], `${path}.${key}`, allowed));
      }
      if (typeof schema.additionalProperties === "object") {
        for (const [key, v] of Object.entries(obj)) {
          if (!(key in (schema.properties ?? {}))) problems.push(...check(doc, schema.additionalProperties, v, `${path}.${key}`, allowed));
        }
      }
      break;
    }
  }
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} not in enum`);
  return problems;
}

/** Keys of `value` (recursively into objects and the first element of arrays) not declared by `schema`. */
export function undeclared(doc: SwaggerDoc, schema: SwaggerSchema, value: unknown, path = "$"): string[] {
  const s = schema.$ref ? (doc.definitions[refName(schema.$ref)] as SwaggerSchema) : schema;
  if (Array.isArray(value)) return value.length > 0 && s.items ? undeclared(doc, s.items, value[0], `${path}[0]`) : [];
  if (value === null || typeof value !== "object" || !s.properties) return [];
  const out: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const sub = s.properties[key];
    if (!sub) out.push(`${path}.${key}`);
    else out.push(...undeclared(doc, sub, v, `${path}.${key}`));
  }
  return out;
}
