/**
 * Typed REST wrappers for the Lighter read API (reference §B). Every response is validated against
 * the accepted (`…In`) schema; failures become `LighterApiError` (an `AppError` with code
 * `upstream_error`) carrying the venue's own `code`/`message` when it sent one.
 *
 * Quirks handled here: the venue reports refusals as HTTP 400 with `{code, message}`, but the JSON
 * `code` is authoritative — a 200 response whose `code` is neither 200 nor 0 is an error too.
 */
import type { Static, TSchema } from "@sinclair/typebox";
import type { TypeCheck } from "@sinclair/typebox/compiler";
import { AppError } from "../../lib/errors.ts";
import { type Clock, systemClock } from "../../lib/clock.ts";
import * as P from "./protocol.ts";

/** Why a REST call failed. */
export type LighterApiErrorKind = "venue" | "http" | "timeout" | "network" | "invalid_response";

export class LighterApiError extends AppError {
  constructor(
    readonly kind: LighterApiErrorKind,
    readonly path: string,
    message: string,
    readonly httpStatus?: number,
    readonly venueCode?: number,
    readonly venueMessage?: string,
    cause?: unknown,
  ) {
    super("upstream_error", `lighter ${path}: ${message}`, {
      cause,
      details: { venue: "lighter", kind, path, httpStatus, venueCode, venueMessage },
    });
    this.name = "LighterApiError";
  }
}

type Query = Record<string, string | number | boolean | readonly (string | number)[] | undefined>;

export interface LighterRestOptions {
  /** REST root without trailing slash, e.g. `https://mainnet.zklighter.elliot.ai`. */
  restUrl: string;
  /** Per-request deadline, ms (default 10 000). */
  timeoutMs?: number;
  clock?: Clock;
  /** Sent as `Authorization` on private calls when set. */
  authToken?: string;
  fetch?: typeof fetch;
}

const checks = new Map<TSchema, () => TypeCheck<TSchema>>();
/** One compiled validator per response schema, built on first use. */
function checkerOf(schema: TSchema): TypeCheck<TSchema> {
  let get = checks.get(schema);
  if (!get) checks.set(schema, (get = P.lazyValidator(schema)));
  return get();
}

/** A thin, validated client of the Lighter REST API. */
export class LighterRest {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: LighterRestOptions) {
    this.base = opts.restUrl.replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.clock = opts.clock ?? systemClock;
    this.fetchImpl = opts.fetch ?? fetch;
  }

  /** GET `path` (`/` and `/info` at the root, the rest under `/api/v1/`) and validate. */
  async get<S extends TSchema>(path: string, schema: S, query: Query = {}, auth = false): Promise<Static<S>> {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined) url.searchParams.set(k, Array.isArray(v) ? v.join(",") : String(v));
    }
    const headers: Record<string, string> = { accept: "application/json" };
    if (auth && this.opts.authToken) headers.authorization = this.opts.authToken;
    const ctl = new AbortController();
    const timer = this.clock.setTimeout(() => ctl.abort(), this.timeoutMs);
    let res: Response;
    let body: unknown;
    try {
      res = await this.fetchImpl(url, { headers, signal: ctl.signal });
      const text = await res.text();
      body = text === "" ? undefined : JSON.parse(text);
    } catch (err) {
      if (ctl.signal.aborted) throw new LighterApiError("timeout", path, `no answer within ${this.timeoutMs} ms`, undefined, undefined, undefined, err);
      const kind = err instanceof SyntaxError ? "invalid_response" : "network";
      throw new LighterApiError(kind, path, String(err), undefined, undefined, undefined, err);
    } finally {
      this.clock.clearTimeout(timer);
    }
    const code = typeof body === "object" && body !== null ? (body as { code?: unknown }).code : undefined;
    const message = typeof body === "object" && body !== null ? (body as { message?: unknown }).message : undefined;
    if (!res.ok || (typeof code === "number" && code !== 200 && code !== 0)) {
      if (typeof code === "number") {
        const text = typeof message === "string" ? message : "";
        throw new LighterApiError("venue", path, `${code} ${text}`.trim(), res.status, code, text);
      }
      throw new LighterApiError("http", path, `HTTP ${res.status}`, res.status);
    }
    const check = checkerOf(schema);
    if (!check.Check(body)) {
      const first = [...check.Errors(body)].slice(0, 3).map((e) => `${e.path} ${e.message}`).join("; ");
      throw new LighterApiError("invalid_response", path, `response does not match schema: ${first}`, res.status);
    }
    return body as Static<S>;
  }

  /** `GET /` — `timestamp` in seconds. */
  status = () => this.get("/", P.Status);
  info = () => this.get("/info", P.Info);
  orderBooks = (q: { market_id?: number; filter?: "all" | "spot" | "perp" } = {}) => this.get("/api/v1/orderBooks", P.OrderBooks, q);
  orderBookDetails = (q: { market_id?: number; filter?: "all" | "spot" | "perp" } = {}) =>
    this.get("/api/v1/orderBookDetails", P.OrderBookDetailsIn, q);
  orderBookOrders = (q: { market_id: number; limit: number }) => this.get("/api/v1/orderBookOrders", P.OrderBookOrders, q);
  /** Newest first, `limit` ≤ 100. `trades` may be null on the real venue. */
  recentTrades = (q: { market_id: number; limit: number }) => this.get("/api/v1/recentTrades", P.TradesIn, q);
  trades = (q: {
    sort_by: "block_height" | "timestamp" | "trade_id";
    limit: number;
    market_id?: number;
    account_index?: number;
    order_index?: number;
    sort_dir?: "desc";
    cursor?: string;
    from?: number;
    type?: "all" | P.TradeType;
    role?: "all" | "maker" | "taker";
  }) => this.get("/api/v1/trades", P.TradesIn, q, q.account_index !== undefined);
  /** Timestamps in ms; `end_timestamp` exclusive. */
  candles = (q: { market_id: number; resolution: string; start_timestamp: number; end_timestamp: number; count_back: number; set_timestamp_to_end?: boolean }) =>
    this.get("/api/v1/candles", P.CandlesIn, q);
  fundings = (q: { market_id: number; resolution: "1h" | "1d"; start_timestamp: number; end_timestamp: number; count_back: number }) =>
    this.get("/api/v1/fundings", P.Fundings, q);
  fundingRates = () => this.get("/api/v1/funding-rates", P.FundingRates);
  exchangeStats = () => this.get("/api/v1/exchangeStats", P.ExchangeStats);
  exchangeMetrics = (q: { period: string; kind: string; filter?: "byMarket"; value?: string }) =>
    this.get("/api/v1/exchangeMetrics", P.ExchangeMetrics, q);
  account = (q: { by: "index" | "l1_address"; value: string; active_only?: boolean; cursor?: string }) =>
    this.get("/api/v1/account", P.DetailedAccountsIn, q);
  accountsByL1Address = (q: { l1_address: string }) => this.get("/api/v1/accountsByL1Address", P.SubAccountsIn, q);
  liquidations = (q: { account_index: number; limit: number; market_id?: number; cursor?: string }) =>
    this.get("/api/v1/liquidations", P.Liquidations, q, true);
  pnl = (q: { by: "index"; value: string; resolution: string; start_timestamp: number; end_timestamp: number; count_back: number; ignore_transfers?: boolean }) =>
    this.get("/api/v1/pnl", P.AccountPnL, q, true);
  positionFunding = (q: { account_index: number; limit: number; market_id?: number; market_ids?: readonly number[]; cursor?: string; side?: "long" | "short" | "all"; start_timestamp?: number; end_timestamp?: number }) =>
    this.get("/api/v1/positionFunding", P.PositionFundings, q, true);
  /** Resting orders of an account (auth on the real venue: only the key's own accounts). */
  accountActiveOrders = (q: { account_index: number; market_id?: number }) => this.get("/api/v1/accountActiveOrders", P.Orders, q, true);
  currentHeight = () => this.get("/api/v1/currentHeight", P.CurrentHeight);
  assetDetails = (q: { asset_id?: number } = {}) => this.get("/api/v1/assetDetails", P.AssetDetailsIn, q);
}
