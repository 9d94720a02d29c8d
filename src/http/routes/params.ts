/**
 * Query and path parameters shared by the market-data route groups, and the checks the schema
 * cannot express (times, ranges, decimals in a market's precision, markets known to the live
 * catalog). Every failure is a 400 bad_request (or 404 for an unknown market) naming the parameter.
 * Also the allocation-light decimal formatters the groups share for their rows.
 */
import { t } from "elysia";
import { DAY_MS, HOUR_MS, MINUTE_MS, parseTimeParam } from "../../domain/time";
import { badRequest, notFound } from "../../lib/errors";
import { andThen, type Maybe } from "../../lib/maybe";
import type { LiveMarketView, MarketInfo } from "../../market/live";
import type { TimeRange } from "../../store/ports";

/** What every market-data group needs: where to read, and which venue it serves. */
export interface MarketDataSource {
  venue: string;
  live: LiveMarketView;
}

const TIME_FORMATS = "ms since the epoch (1767225600000), ISO-8601 (2026-01-01T00:00:00Z; no offset means UTC) or a date (2026-01-01 = 00:00 UTC)";

/** Deepest `offset` accepted: offset paging costs O(offset) in the store; narrow the time range instead. */
export const MAX_OFFSET = 1_000_000;

/** `market_id` path parameter. */
export const MarketIdParams = t.Object({
  market_id: t.Integer({ minimum: 0, description: "Numeric market id (0 = ETH-PERP on Lighter)." }),
});

/** `market_id` as a query parameter (required unless wrapped in t.Optional). */
export const marketIdQuery = (description = "Numeric market id (0 = ETH-PERP on Lighter).") => t.Integer({ minimum: 0, description });

/** A time query parameter: declared as a string, parsed by `parseTime`. */
export const timeQuery = (description: string) => t.String({ description: `${description} Accepts ${TIME_FORMATS}.` });

/** `limit` with its default and maximum in the schema, so the validator and the docs agree. */
export const limitQuery = (defaultLimit: number, max: number, what = "Rows per page") =>
  t.Integer({ minimum: 1, maximum: max, default: defaultLimit, description: `${what} (default ${defaultLimit}, max ${max}).` });

/** `offset` for limit/offset paging. */
export const offsetQuery = () =>
  t.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0, description: `Rows to skip (default 0, max ${MAX_OFFSET}); meta.total is the full count.` });

/** Parses a time parameter (see `parseTimeParam`); throws 400 naming `name`. */
export function parseTime(name: string, value: string): number {
  const ms = parseTimeParam(value);
  if (ms === null) {
    throw badRequest(`query parameter '${name}' must be a time between 2000-01-01 and 2100-01-01: ${TIME_FORMATS}; got '${value}'`, {
      in: "query",
      field: name,
    });
  }
  return ms;
}

/** "7 days", "1 day", "6 hours", "90 minutes": a limit as people say it. */
export function describeDuration(ms: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (ms % DAY_MS === 0) return unit(ms / DAY_MS, "day");
  if (ms % HOUR_MS === 0) return unit(ms / HOUR_MS, "hour");
  if (ms % MINUTE_MS === 0) return unit(ms / MINUTE_MS, "minute");
  return unit(ms, "millisecond");
}

export interface RangeOptions {
  /** Longest accepted `end - start`. */
  maxMs: number;
  /** Used when `start` is absent (`start` is required when this is not given). */
  defaultStart?: (end: number) => number;
  /** Names of the parameters, for messages (default start/end). */
  names?: { start: string; end: string };
}

/**
 * Resolves a [start, end) range from query strings: `end` defaults to `now`; `start` is required
 * unless a default is given; `start` must be before `end`, and the range at most `maxMs` long.
 */
export function resolveRange(q: { start?: string; end?: string }, now: number, opts: RangeOptions): TimeRange {
  const names = opts.names ?? { start: "start", end: "end" };
  const end = q.end === undefined ? now : parseTime(names.end, q.end);
  let start: number;
  if (q.start !== undefined) start = parseTime(names.start, q.start);
  else if (opts.defaultStart) start = opts.defaultStart(end);
  else throw badRequest(`query parameter '${names.start}' is required (${TIME_FORMATS})`, { in: "query", field: names.start });
  if (start >= end) {
    throw badRequest(`query parameter '${names.start}' (${start}) must be before '${names.end}' (${end}${q.end === undefined ? ", defaulted to now" : ""})`, {
      in: "query",
      field: names.start,
    });
  }
  if (end - start > opts.maxMs) {
    throw badRequest(
      `time range too long: at most ${describeDuration(opts.maxMs)} between '${names.start}' and '${names.end}' on this endpoint (got ${describeDuration(end - start)})`,
      { in: "query", field: names.start, max_range_ms: opts.maxMs },
    );
  }
  return { start, end };
}

/** The market from the live catalog; 404 not_found when the venue does not list it. */
export function requireMarket(src: MarketDataSource, marketId: number): Maybe<MarketInfo> {
  return andThen(src.live.market(src.venue, marketId), (market) => {
    if (!market) throw notFound(`market ${marketId} not found on ${src.venue}`);
    return market;
  });
}

/** Like `requireMarket`, but `undefined` (no filter) passes through. */
export async function optionalMarket(src: MarketDataSource, marketId: number | undefined): Promise<MarketInfo | undefined> {
  return marketId === undefined ? undefined : requireMarket(src, marketId);
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * Parses a non-negative decimal query value into venue units (× 10^decimals). `rounding` says what
 * to do with digits finer than the market's precision: "exact" refuses them, "floor"/"ceil" round.
 * Throws 400 naming `name`.
 */
export function parseDecimalQuery(name: string, text: string, decimals: number, rounding: "exact" | "floor" | "ceil"): number {
  const m = DECIMAL.exec(text);
  if (!m) throw badRequest(`query parameter '${name}' must be a non-negative decimal such as 3200.5; got '${text}'`, { in: "query", field: name });
  const whole = m[1] ?? "0";
  const frac = m[2] ?? "";
  const kept = frac.slice(0, decimals).padEnd(decimals, "0");
  const finer = /[1-9]/.test(frac.slice(decimals));
  if (finer && rounding === "exact") {
    throw badRequest(`query parameter '${name}' has more than ${decimals} decimals, this market's precision; got '${text}'`, { in: "query", field: name });
  }
  const value = Number(whole + kept) + (finer && rounding === "ceil" ? 1 : 0);
  if (!Number.isSafeInteger(value)) throw badRequest(`query parameter '${name}' is out of range; got '${text}'`, { in: "query", field: name });
  return value;
}

