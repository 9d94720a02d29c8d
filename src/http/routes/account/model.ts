/** Schemas of the account overview and the public plan table. */
import { t } from "elysia";
import type { Tier } from "../../../domain/tiers";
import { authErrors, commonErrors, Envelope } from "../../envelope";
import { TierSchema } from "../keys/model";

const Unlimited = (description: string) => t.Nullable(t.Integer({ minimum: 0, description: `${description} null = unlimited.` }));

export const TierView = t.Object({
  id: TierSchema,
  name: t.String(),
  tagline: t.String(),
  price_usd_monthly: t.Nullable(t.Number({ description: "null = custom pricing." })),
  annual_price_usd_monthly: t.Nullable(t.Number()),
  requests_per_minute: Unlimited("REST requests per minute per key."),
  max_batch_size: t.Integer(),
  monthly_credits: Unlimited("Credits included per UTC month."),
  overage_per_100k_usd: t.Nullable(t.Number({ description: "null = hard cap (402 credits_exhausted when used up)." })),
  websocket_connections: Unlimited("Concurrent WebSocket connections per account."),
  websocket_subscriptions: Unlimited("Subscriptions per WebSocket connection."),
  enriched_attribution: t.Boolean({ description: "false = anonymous order-book data." }),
  replay_window_days: Unlimited("How far back a replay may start; 0 = replay disabled."),
  concurrent_replays: Unlimited("Replays at once per account."),
  signals_per_account: Unlimited("Signal rules per account."),
  data_lake_access: t.Boolean(),
  top_accounts_limit: t.Integer(),
});

/** A plan as the API shows it. */
export const tierView = (x: Readonly<Tier>) => ({
  id: x.id, name: x.name, tagline: x.tagline, price_usd_monthly: x.priceUsdMonthly, annual_price_usd_monthly: x.annualPriceUsdMonthly,
  requests_per_minute: x.requestsPerMinute, max_batch_size: x.maxBatchSize, monthly_credits: x.monthlyCredits,
  overage_per_100k_usd: x.overagePer100kUsd, websocket_connections: x.wsConnections, websocket_subscriptions: x.wsSubscriptionsPerConnection,
  enriched_attribution: x.enrichedAttribution, replay_window_days: x.replayWindowDays, concurrent_replays: x.concurrentReplays,
  signals_per_account: x.signalsPerAccount, data_lake_access: x.dataLakeAccess, top_accounts_limit: x.topAccountsLimit,
});

export const TiersData = t.Object({
  tiers: t.Array(TierView),
  credit_costs: t.Object({ standard: t.Integer(), batch: t.Integer(), heavy_batch: t.Integer(), websocket: t.Literal("free (not metered)") }),
});

export const AccountData = t.Object({
  user_id: t.String(),
  plan: TierView,
  key: t.Nullable(t.Object({ id: t.String(), tier: TierSchema, requests_per_minute: Unlimited("This key's rate limit.") }), { description: "The key this request used; null with a JWT." }),
  credits: t.Object({
    month: t.String({ description: "UTC month, YYYY-MM." }),
    included: Unlimited("Credits included this month."),
    used: t.Integer(),
    remaining: Unlimited("Left of the allowance (0 while running on overage)."),
    overage: t.Integer({ description: "Credits beyond the allowance this month (billed on paid plans)." }),
    hard_cap: t.Boolean({ description: "true: requests are refused (402) once the allowance is used." }),
    resets_at: t.Integer({ description: "ms epoch of the next UTC month." }),
  }),
});

export const accountResponses = { 200: Envelope(AccountData), ...commonErrors, ...authErrors };
export const tiersResponses = { 200: Envelope(TiersData), ...commonErrors };
