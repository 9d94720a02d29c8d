/**
 * Plans (tiers) and credit costs as data: the one module every limit is read from. Routes, the
 * rate limiter, the credit meter, the WebSocket gateway, replay, signals and exports ask this module;
 * none of them holds a tier number of its own. `docs/tiers.md` is the human-readable copy.
 *
 * Sources, in order: the guide's tier table (price, requests/minute, batch size, credits/month, WS
 * connections) and replay table (window, concurrent replays); pricing.json via product-notes §A4
 * (annual prices of Starter and Growth, overage $29/100K on Starter, Free's hard cap = null overage,
 * WS subscriptions 5 and 1,000, "Anonymous orderbook data" on Free); the guide's "Available on paid
 * tiers" for the data lake. Our own choices where every source is silent (marked "chosen" below):
 * - overage per 100K: Growth $19, Scale $12 — cheaper per credit as the plan grows, like the
 *   price per included credit does (Starter $0.27, Growth $0.17, Scale $0.07 per 1K).
 * - annual price of Scale: $1,499/month (16.7% off, inside the advertised "up to 18%").
 * - WS subscriptions per connection: Growth 2,500, Scale 5,000 (Starter's 1,000 scaled with the plan).
 * - signals per account: Free 3, Starter 25, Growth 100, Scale 500.
 * - top-accounts rows per request: Free 10, Starter 100, Growth 500, Scale 1,000, Enterprise 5,000.
 * - attribution: every paid plan; only Free is named "anonymous".
 * `null` means unlimited everywhere in this module, except `overagePer100kUsd` where null is the
 * hard cap (pricing.json's own encoding) and `priceUsdMonthly` where null is "custom".
 */

/** Plan ids, cheapest first: the order is the plans' rank. */
export const TIER_IDS = ["free", "starter", "growth", "scale", "enterprise"] as const;

/** A plan id ("free" … "enterprise"); also a key's tier, which never outranks its account's plan. */
export type TierId = (typeof TIER_IDS)[number];

/** Everything a plan grants. */
export interface Tier {
  id: TierId;
  name: string;
  tagline: string;
  /** USD per month billed monthly; null = custom (sales). */
  priceUsdMonthly: number | null;
  /** USD per month billed annually; null = custom. */
  annualPriceUsdMonthly: number | null;
  /** REST requests per minute per API key; null = unlimited (no limiter, see docs/tiers.md). */
  requestsPerMinute: number | null;
  /** Most accounts (or items) in one batch request. */
  maxBatchSize: number;
  /** Credits included each UTC calendar month per account; null = unlimited. */
  monthlyCredits: number | null;
  /** USD per 100,000 credits beyond the allowance; null = hard cap (402 credits_exhausted). */
  overagePer100kUsd: number | null;
  /** Concurrent WebSocket connections per account; null = unlimited. */
  wsConnections: number | null;
  /** Subscriptions per WebSocket connection; null = unlimited. */
  wsSubscriptionsPerConnection: number | null;
  /** Enriched streams carry account attribution (false: the anonymous view). */
  enrichedAttribution: boolean;
  /** Furthest back a replay may start, in days; 0 = replay disabled; null = unlimited. */
  replayWindowDays: number | null;
  /** Replay sessions running at once per account; null = unlimited. */
  concurrentReplays: number | null;
  /** Signal (alert) rules per account; null = unlimited. */
  signalsPerAccount: number | null;
  /** Parquet data-lake exports and downloads. */
  dataLakeAccess: boolean;
  /** Rows per top-accounts request. */
  topAccountsLimit: number;
}

/** The plans, by id. */
export const TIERS: Readonly<Record<TierId, Readonly<Tier>>> = Object.freeze({
  free: Object.freeze<Tier>({
    id: "free", name: "Free", tagline: "Explore the API", priceUsdMonthly: 0, annualPriceUsdMonthly: 0,
    requestsPerMinute: 30, maxBatchSize: 5, monthlyCredits: 75_000, overagePer100kUsd: null,
    wsConnections: 1, wsSubscriptionsPerConnection: 5, enrichedAttribution: false,
    replayWindowDays: 0, concurrentReplays: 0, signalsPerAccount: 3, dataLakeAccess: false, topAccountsLimit: 10,
  }),
  starter: Object.freeze<Tier>({
    id: "starter", name: "Starter", tagline: "For solo traders and bot developers", priceUsdMonthly: 199, annualPriceUsdMonthly: 169,
    requestsPerMinute: 300, maxBatchSize: 200, monthlyCredits: 750_000, overagePer100kUsd: 29,
    wsConnections: 50, wsSubscriptionsPerConnection: 1_000, enrichedAttribution: true,
    replayWindowDays: 7, concurrentReplays: 2, signalsPerAccount: 25, dataLakeAccess: true, topAccountsLimit: 100,
  }),
  growth: Object.freeze<Tier>({
    id: "growth", name: "Growth", tagline: "For teams that need attribution and history", priceUsdMonthly: 849, annualPriceUsdMonthly: 699,
    requestsPerMinute: 3_000, maxBatchSize: 1_000, monthlyCredits: 5_000_000, overagePer100kUsd: 19,
    wsConnections: 500, wsSubscriptionsPerConnection: 2_500, enrichedAttribution: true,
    replayWindowDays: 30, concurrentReplays: 5, signalsPerAccount: 100, dataLakeAccess: true, topAccountsLimit: 500,
  }),
  scale: Object.freeze<Tier>({
    id: "scale", name: "Scale", tagline: "For desks running production workloads", priceUsdMonthly: 1_799, annualPriceUsdMonthly: 1_499,
    requestsPerMinute: 30_000, maxBatchSize: 2_500, monthlyCredits: 25_000_000, overagePer100kUsd: 12,
    wsConnections: 1_000, wsSubscriptionsPerConnection: 5_000, enrichedAttribution: true,
    replayWindowDays: 90, concurrentReplays: 10, signalsPerAccount: 500, dataLakeAccess: true, topAccountsLimit: 1_000,
  }),
  enterprise: Object.freeze<Tier>({
    id: "enterprise", name: "Enterprise", tagline: "Custom volume, limits and support", priceUsdMonthly: null, annualPriceUsdMonthly: null,
    requestsPerMinute: null, maxBatchSize: 5_000, monthlyCredits: null, overagePer100kUsd: null,
    wsConnections: null, wsSubscriptionsPerConnection: null, enrichedAttribution: true,
    replayWindowDays: null, concurrentReplays: null, signalsPerAccount: null, dataLakeAccess: true, topAccountsLimit: 5_000,
  }),
});

/** Type guard for a plan id from a request, the CLI or the store. */
export function isTierId(value: unknown): value is TierId {
  return typeof value === "string" && (TIER_IDS as readonly string[]).includes(value);
}

/** A plan id read back from storage: anything else means a bad migration or a manual edit, so it throws. */
export function parseTierId(value: string): TierId {
  if (!isTierId(value)) throw new Error(`unknown tier: ${JSON.stringify(value)}`);
  return value;
}

/** The plan with id `id`. */
export const tier = (id: TierId): Readonly<Tier> => TIERS[id];

/** Position of a plan in TIER_IDS (free = 0): compares plans. */
export const tierRank = (id: TierId): number => TIER_IDS.indexOf(id);

/** True when a key at `keyTier` is allowed on an account whose plan is `plan` (never above it). */
export const tierWithinPlan = (keyTier: TierId, plan: TierId): boolean => tierRank(keyTier) <= tierRank(plan);

/** The higher of two plans. */
export const higherTier = (a: TierId, b: TierId): TierId => (tierRank(a) >= tierRank(b) ? a : b);

/**
 * What a request costs in credits, by route kind (pricing.json's credit_model). `none` is our own:
 * account, key-management, auth and health routes are not data and are never metered. WebSocket
 * streaming is unmetered too (it never passes through the credit meter).
 */
export const CREDIT_COSTS = Object.freeze({ none: 0, standard: 1, batch: 25, heavyBatch: 50 });

/** A route's cost class. */
export type CostKind = keyof typeof CREDIT_COSTS;

/** The window every per-key request limit is counted over. */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * Requests per minute per user on JWT (dashboard) routes, whatever the plan: key management and
 * billing are not data, and a dashboard must keep working on Free. Chosen; see docs/tiers.md.
 */
export const DASHBOARD_REQUESTS_PER_MINUTE = 120;

/** The UTC calendar month a credit debit belongs to. */
export interface CreditPeriod {
  /** "YYYY-MM" (UTC). */
  month: string;
  /** ms of the month's first instant (UTC). */
  start: number;
  /** ms of the next month's first instant: when the allowance resets. */
  end: number;
}

/** The credit period containing `ms`: allowances reset at 00:00 UTC on the 1st. */
export function creditPeriod(ms: number): CreditPeriod {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return { month: `${y}-${String(m + 1).padStart(2, "0")}`, start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
}

/** Credits beyond the plan's allowance (0 within it, and always 0 for unlimited plans). */
export function overage(plan: TierId, used: number): number {
  const allowance = TIERS[plan].monthlyCredits;
  return allowance === null ? 0 : Math.max(0, used - allowance);
}

/**
 * The most credits an account may use this month: the allowance on a hard-capped plan, null
 * (no cap) on plans that bill overage or have unlimited credits.
 */
export function creditCap(plan: TierId): number | null {
  const t = TIERS[plan];
  return t.overagePer100kUsd === null && t.monthlyCredits !== null ? t.monthlyCredits : null;
}
