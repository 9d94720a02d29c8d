/**
 * The postgres.js pool and the value encodings the adapter relies on.
 */
import postgres from "postgres";
import type { Logger } from "../../lib/log.ts";

/**
 * int8 comes back from postgres.js as a string by default. Every bigint column here except
 * candles.quote_volume holds a safe integer by the ports' contract (venue units, ms times, ids,
 * counts), so parse to number — and throw rather than round if one ever is not. quote_volume is
 * selected as text and turned into a bigint by the adapter.
 */
const int8AsNumber = {
  to: 20,
  from: [20],
  serialize: (value: number | bigint | string): string => String(value),
  parse: (raw: string): number => {
    const n = Number(raw);
    if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${raw} is not a safe integer`);
    return n;
  },
};

/** Creates the pool. `schema`, when given, becomes the whole search_path of every connection. */
export function createPool(opts: { url: string; schema?: string; max?: number; log?: Logger }) {
  return postgres(opts.url, {
    max: opts.max ?? 10,
    types: { int8: int8AsNumber },
    // IF NOT EXISTS on partitions and migrations emits notices; they are expected, not news.
    onnotice: (notice) => opts.log?.debug("store.pg.notice", { message: notice.message }),
    connection: {
      application_name: "hyperlight",
      ...(opts.schema === undefined ? {} : { search_path: quoteIdent(opts.schema) }),
    },
  });
}

/** The pool type, including the custom int8 mapping. */
export type Pool = ReturnType<typeof createPool>;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Double-quotes an identifier after checking it is a plain one (schema and partition names). */
export function quoteIdent(name: string): string {
  if (!IDENT.test(name)) throw new Error(`not a plain SQL identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/** The SQLSTATE of a PostgreSQL error, if it is one. */
export function pgCode(err: unknown): string | undefined {
  return err instanceof postgres.PostgresError ? err.code : undefined;
}

// Array literals. Bulk writes pass each column as ONE array parameter and `unnest` them back into
// rows server-side: one statement and a fixed parameter count whatever the batch size. Building the
// literal text ourselves ("{1,2,3}") is several times cheaper than postgres.js's per-element
// serializer, and postgres.js passes a string through unchanged for an array-typed parameter.

const NEEDS_ESCAPE = /[\\"]/;
const ESCAPE = /[\\"]/g;

/** An element for a text/json array literal: always quoted, so "NULL", commas, braces are data. */
export function textElement(value: string): string {
  // Venue names and enum labels never need escaping: skip the replace (and its new string).
  return NEEDS_ESCAPE.test(value) ? `"${value.replace(ESCAPE, "\\$&")}"` : `"${value}"`;
}

/** An element for a json/jsonb array literal. */
export const jsonElement = (value: unknown): string => textElement(JSON.stringify(value));

/**
 * Encodes rows column-wise: one array literal per named encoder. Every number column is an
 * integer column, so a number must be a safe integer: the int8 parser could not read anything
 * else back, and one such row would poison every query over its range. Checked here, before
 * anything is sent.
 */
export function arrayLiterals<T, K extends string>(
  rows: readonly T[],
  encoders: Record<K, (row: T) => string | number | bigint>,
): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const key of Object.keys(encoders) as K[]) {
    const encode = encoders[key];
    let text = "{";
    for (let i = 0; i < rows.length; i++) {
      const value = encode(rows[i]!);
      if (typeof value === "number" && !Number.isSafeInteger(value)) {
        throw new RangeError(`${key}: ${value} is not a safe integer`);
      }
      text += (i === 0 ? "" : ",") + value;
    }
    out[key] = text + "}";
  }
  return out;
}
