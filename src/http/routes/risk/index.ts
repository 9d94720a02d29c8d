import { Elysia } from "elysia";
import { TIERS } from "../../../domain/tiers";
import type { Principal } from "../../../identity/principal";
import { okBody } from "../../envelope";
import type { authPlugin } from "../../plugins/auth";
import { withRequestId } from "../../plugins/request-context";
import type { AccountsDeps } from "../accounts/resolve";
import { MarketIdParams } from "../params";
import { CASCADE_LIMITS, CascadeQuery, cascadeResponses, exchangeTopResponses, HeatmapQuery, heatmapResponses, marketTopResponses, TOP_DEFAULT, TopQuery } from "./model";
import { RiskService } from "./service";

/** Rows a request may have: the tier's top-accounts limit (the largest tier's without a key). */
function topLimit(principal: Principal, asked: number | undefined): { limit: number; tierLimit: number } {
  const tierLimit = principal.kind === "key" ? TIERS[principal.tier].topAccountsLimit : TIERS.enterprise.topAccountsLimit;
  return { limit: Math.min(asked ?? TOP_DEFAULT, tierLimit), tierLimit };
}

/**
 * GET /api/v1/liquidation-heatmap/:market_id, …/cascade, /api/v1/markets/:market_id/top-accounts and
 * /api/v1/exchange/top-accounts: market risk from the tracked accounts. Standard cost (1 credit).
 */
export const riskRoutes = (deps: AccountsDeps & { auth: ReturnType<typeof authPlugin> }) => {
  const service = new RiskService(deps);
  const now = () => deps.clock.now();
  return new Elysia({ name: "routes.risk", prefix: "/api/v1" })
    .use(withRequestId)
    .use(deps.auth)
    .get("/liquidation-heatmap/:market_id", async ({ params, query, requestId }) => okBody(requestId, now(), await service.heatmap(params.market_id, query)), {
      auth: "apiKey", params: MarketIdParams, query: HeatmapQuery, response: heatmapResponses,
      detail: {
        tags: ["Liquidations"], summary: "Liquidation level heatmap",
        description: "Long and short notional (position value at the mark) whose liquidation price falls in each price bucket, from the real tracked positions (reference §E.2 liquidation prices), with cumulative curves and totals. Range: `min_price`/`max_price` or ± `range_pct` around the mark (default 20 %); `bucket_size` a multiple of the tick (default about 100 round buckets; at most 2,000). Model: docs/accounts.md.",
      },
    })
    .get("/liquidation-heatmap/:market_id/cascade", async ({ params, query, requestId }) => okBody(requestId, now(), await service.cascade(params.market_id, query)), {
      auth: "apiKey", params: MarketIdParams, query: CascadeQuery, response: cascadeResponses,
      detail: {
        tags: ["Liquidations"], summary: "Cascade effect analysis",
        description: `Starting from a price shock (\`shock_pct\`), liquidates every tracked position whose liquidation price is reached, sells (buys) it into the live book's bids (asks), and repeats from the price that leaves, until no new liquidation price is reached, the book depth runs out, or \`max_steps\` (default ${CASCADE_LIMITS.maxSteps.default}). Each step: trigger price, positions, size, executed notional, VWAP, end price, slippage. An upper bound (positions are closed in full); model in docs/accounts.md.`,
      },
    })
    .get("/markets/:market_id/top-accounts", async ({ params, query, principal, requestId }) => {
      const { limit, tierLimit } = topLimit(principal, query.limit);
      const r = await service.marketTop(params.market_id, query.side ?? "all", limit);
      return okBody(requestId, now(), r.data, { limit, tier_limit: tierLimit, total: r.total });
    }, {
      auth: "apiKey", params: MarketIdParams, query: TopQuery, response: marketTopResponses,
      detail: { tags: ["Exchange Analytics"], summary: "Top accounts by position size (tier-limited)", description: "The largest tracked positions of the market by value at the mark, long, short or both, with entry, PnL and liquidation price. Rows: `limit`, capped at the tier's top-accounts limit (meta.limit, meta.tier_limit)." },
    })
    .get("/exchange/top-accounts", ({ query, principal, requestId }) => {
      const { limit, tierLimit } = topLimit(principal, query.limit);
      return okBody(requestId, now(), service.exchangeTop(query.side ?? "all", limit), { limit, tier_limit: tierLimit });
    }, {
      auth: "apiKey", query: TopQuery, response: exchangeTopResponses,
      detail: { tags: ["Exchange Analytics"], summary: "Top accounts exchange-wide by total notional (tier-limited)", description: "Tracked accounts ranked by Σ position value across markets (or by their long or short side), with PnL, equity and margin ratio. Rows capped at the tier's top-accounts limit." },
    });
};
