/**
 * Request schemas and response maps of the accounts group: the four batch bodies and the single
 * account routes' parameters.
 */
import { Type } from "@sinclair/typebox";
import { t } from "elysia";
import { authErrors, commonErrors, Envelope, ErrorEnvelope } from "../../envelope";
import { limitQuery, offsetQuery, timeQuery } from "../params";
import { AccountPositions, BatchAccount, Fill, Health, ItemError, LiquidationEvent, Position } from "./model";

/** Largest batch of any tier (the per-tier limit is checked before validation: batch_too_large). */
export const MAX_BATCH = 5_000;
export const BATCH_LIMITS = {
  fills: { default: 10, max: 100 },
  fillsPerAccount: { default: 100, max: 1_000 },
  liquidationsPerAccount: { default: 20, max: 100 },
} as const;

// Plain TypeBox Integer: Elysia's t.Integer decodes numeric strings, and would read "0x8a…" as hex.
const AccountsList = t.Array(t.Union([Type.Integer({ minimum: 0 }), t.String({ minLength: 1, maxLength: 66 })]), {
  minItems: 1, maxItems: MAX_BATCH,
  description: `Account indices (by: index; integers or digit strings) or L1 addresses (by: l1_address; 0x + 40 hex). At most your tier's batch size (5 Free … ${MAX_BATCH} Enterprise); duplicates are answered once.`,
});
const By = t.Optional(t.Union([t.Literal("index"), t.Literal("l1_address")], { default: "index", description: "How `accounts` names accounts (default index). An L1 address stands for its master account and its sub-accounts." }));
const BodyTime = (description: string) => t.Optional(t.Union([t.Integer(), t.String()], { description: `${description} ms epoch or ISO-8601.` }));

export const BatchBody = t.Object({
  accounts: AccountsList,
  by: By,
  include: t.Optional(t.Array(t.Union([t.Literal("positions"), t.Literal("orders"), t.Literal("fills")]), { description: "Parts per account (default all three)." })),
  fills_limit: t.Optional(t.Integer({ minimum: 1, maximum: BATCH_LIMITS.fills.max, description: `Recent fills per account (default ${BATCH_LIMITS.fills.default}, max ${BATCH_LIMITS.fills.max}).` })),
});
export const BatchPositionsBody = t.Object({
  accounts: AccountsList,
  by: By,
  market_id: t.Optional(t.Integer({ minimum: 0, description: "Only positions in this market." })),
});
export const BatchFillsBody = t.Object({
  accounts: AccountsList,
  by: By,
  start: BodyTime("Inclusive start (default end − 24 h)."),
  end: BodyTime("Exclusive end (default now); at most 31 days after start."),
  limit_per_account: t.Optional(t.Integer({ minimum: 1, maximum: BATCH_LIMITS.fillsPerAccount.max, description: `Newest fills per account (default ${BATCH_LIMITS.fillsPerAccount.default}).` })),
});
export const BatchLiquidationsBody = t.Object({
  accounts: AccountsList,
  by: By,
  start: BodyTime("Inclusive start (default end − 7 days)."),
  end: BodyTime("Exclusive end (default now); at most 31 days after start."),
  limit_per_account: t.Optional(t.Integer({ minimum: 1, maximum: BATCH_LIMITS.liquidationsPerAccount.max, description: `Newest liquidations per account (default ${BATCH_LIMITS.liquidationsPerAccount.default}).` })),
});

const batchMeta = "meta.requested: distinct items asked for; meta.found: accounts answered.";
const Errors = t.Array(ItemError, { description: "Items that could not be answered (the request itself succeeded)." });
const errorResponses = { ...commonErrors, ...authErrors, 503: ErrorEnvelope } as const;

export const batchResponses = { 200: Envelope(t.Object({ accounts: t.Array(BatchAccount), errors: Errors }), batchMeta), ...errorResponses } as const;
export const batchPositionsResponses = {
  200: Envelope(t.Object({ accounts: t.Array(t.Object({ account_index: t.Integer(), positions: t.Array(Position) })), errors: Errors }), batchMeta),
  ...errorResponses,
} as const;
export const batchFillsResponses = {
  200: Envelope(t.Object({ accounts: t.Array(t.Object({ account_index: t.Integer(), fills: t.Array(Fill) })), errors: Errors }), batchMeta),
  ...errorResponses,
} as const;
export const batchLiquidationsResponses = {
  200: Envelope(t.Object({
    accounts: t.Array(t.Object({
      account_index: t.Integer(),
      health: t.Nullable(Health),
      margin_ratio: t.Nullable(t.String()),
      liquidations: t.Array(LiquidationEvent, { description: "Newest first." }),
    })),
    errors: Errors,
  }), batchMeta),
  ...errorResponses,
} as const;

export const AccountParams = t.Object({ id: t.Integer({ minimum: 0, description: "Account index." }) });

export const FillsQuery = t.Object({
  start: t.Optional(timeQuery("Inclusive start (default end − 7 days).")),
  end: t.Optional(timeQuery("Exclusive end (default now); at most 31 days after start.")),
  market_id: t.Optional(t.Integer({ minimum: 0, description: "Only this market." })),
  limit: t.Optional(limitQuery(100, 1_000, "Fills per page")),
  offset: t.Optional(offsetQuery()),
});
export const PnlQuery = t.Object({
  resolution: t.Optional(t.Union(["1m", "5m", "15m", "1h", "4h", "1d"].map((r) => t.Literal(r)), { default: "1h", description: "Bucket width (default 1h); each point is the last snapshot in its bucket." })),
  start: t.Optional(timeQuery("Inclusive start (default end − 7 days).")),
  end: t.Optional(timeQuery("Exclusive end (default now); at most 1,000 buckets.")),
});
export const RiskQuery = t.Object({
  shock_pct: t.Optional(t.Number({ minimum: -99, maximum: 1000, description: "A price move in percent (−10 = every mark 10 % lower) to evaluate." })),
  market_id: t.Optional(t.Integer({ minimum: 0, description: "Apply the shock to this market only (default: every market)." })),
});

const PnlPoint = t.Object({
  timestamp: t.Integer(), equity: t.String(), collateral: t.String(), unrealized_pnl: t.String(), realized_pnl: t.String(),
  funding_paid: t.String(), notional_usd: t.String(), positions: t.Integer(),
});
const RiskPosition = t.Object({
  market_id: t.Integer(), symbol: t.String(), side: t.Union([t.Literal("long"), t.Literal("short")]), size: t.String(),
  mark_price: t.Nullable(t.String()), notional_usd: t.String(), liquidation_price: t.Nullable(t.String()),
  distance_pct: t.Nullable(t.String({ description: "|mark − liquidation| / mark, percent." })), breached: t.Boolean(),
});
const Scenario = t.Object({
  total_asset_value: t.String(), maintenance_margin_requirement: t.String(), initial_margin_requirement: t.String(),
  margin_ratio: t.Nullable(t.String()), health: Health,
});

export const positionsResponses = { 200: Envelope(AccountPositions), ...errorResponses } as const;
export const fillsResponses = { 200: Envelope(t.Object({ account_index: t.Integer(), fills: t.Array(Fill, { description: "Newest first." }) })), ...errorResponses } as const;
export const pnlResponses = {
  200: Envelope(t.Object({ account_index: t.Integer(), resolution: t.String(), points: t.Array(PnlPoint, { description: "Oldest first." }), current: t.Nullable(PnlPoint) })),
  ...errorResponses,
} as const;
export const riskResponses = {
  200: Envelope(t.Object({
    account_index: t.Integer(),
    collateral: t.String(),
    now: Scenario,
    uniform_move_to_liquidation_pct: t.Nullable(t.String({ description: "The move of every mark at once (percent) that brings total asset value to the maintenance requirement; null when none does." })),
    positions: t.Array(RiskPosition),
    shock: t.Nullable(t.Object({ shock_pct: t.Number(), market_id: t.Nullable(t.Integer()), after: Scenario, liquidated: t.Boolean(), positions: t.Array(RiskPosition) })),
  })),
  ...errorResponses,
} as const;
