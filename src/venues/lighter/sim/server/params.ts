/**
 * Query-string parsing with the venue's refusals: every failure is HTTP 400 with
 * `{code, message}` (reference §B.1), e.g. `21602 invalid market index`.
 */
import type { Exchange } from "../engine/exchange.ts";
import type { MarketState } from "../engine/market-state.ts";

/** Venue error codes the simulator answers with. */
export const VENUE_ERRORS = {
  invalidParam: 20001,
  accountNotFound: 21100,
  invalidMarket: 21602,
  candleEndBeforeStart: 22400,
  candleResolution: 22402,
  candleRangeTooLong: 22403,
} as const;

/** A refusal the REST layer turns into `400 {code, message}`. */
export class VenueError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = "VenueError";
  }
}

const invalid = (name: string): VenueError => new VenueError(VENUE_ERRORS.invalidParam, `invalid param: ${name}`);

/** A query wrapper with typed, validating getters. */
export class Query {
  constructor(private readonly params: URLSearchParams) {}

  has(name: string): boolean {
    const v = this.params.get(name);
    return v !== null && v !== "";
  }

  string(name: string, required: true): string;
  string(name: string, required?: false): string | undefined;
  string(name: string, required = false): string | undefined {
    const v = this.params.get(name);
    if (v === null || v === "") {
      if (required) throw invalid(name);
      return undefined;
    }
    return v;
  }

  int(name: string, required: true): number;
  int(name: string, required?: false, fallback?: number): number | undefined;
  int(name: string, required = false, fallback?: number): number | undefined {
    const v = this.string(name, required as false);
    if (v === undefined) return fallback;
    if (!/^-?\d+$/.test(v)) throw invalid(name);
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw invalid(name);
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (v === "true" || v === "1") return true;
    if (v === "false" || v === "0") return false;
    throw invalid(name);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback?: T): T {
    const v = fallback === undefined ? this.string(name, true) : this.string(name);
    if (v === undefined) return fallback as T;
    if (!(allowed as readonly string[]).includes(v)) throw invalid(name);
    return v as T;
  }

  /** `limit`: required by the venue, 1…max. */
  limit(max: number, required = true): number {
    const n = this.int("limit", required as false, max) as number;
    if (n < 1 || n > max) throw invalid("limit");
    return n;
  }

  /** A timestamp in ms; values below 1e11 are read as seconds (one client sends seconds). */
  time(name: string, required: true): number;
  time(name: string, required?: false): number | undefined;
  time(name: string, required = false): number | undefined {
    const n = this.int(name, required as false);
    if (n === undefined) return undefined;
    return n > 0 && n < 1e11 ? n * 1000 : n;
  }
}

/** The market named by `market_id`, or null for "all" (255 or absent when `allowAll`). */
export function marketParam(ex: Exchange, q: Query, opts: { required: boolean; allowAll: boolean }): MarketState | null {
  const id = q.int("market_id", opts.required as false);
  if (id === undefined || (opts.allowAll && id === 255)) {
    if (!opts.allowAll && id === undefined) throw invalid("market_id");
    return null;
  }
  const m = ex.market(id);
  if (!m) throw new VenueError(VENUE_ERRORS.invalidMarket, "invalid market index");
  return m;
}
