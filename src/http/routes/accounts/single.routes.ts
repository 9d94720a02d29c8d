import { Elysia } from "elysia";
import { okBody } from "../../envelope";
import type { authPlugin } from "../../plugins/auth";
import { withRequestId } from "../../plugins/request-context";
import { AccountParams, FillsQuery, fillsResponses, PnlQuery, pnlResponses, positionsResponses, RiskQuery, riskResponses } from "./requests";
import type { AccountsDeps } from "./resolve";
import { AccountService } from "./single.service";

const TAGS = ["Accounts & Batch Queries"];
/** GET /api/v1/accounts/:id/{positions,fills,pnl,liquidation-risk}: one account, standard cost. */
export const singleAccountRoutes = (deps: AccountsDeps & { auth: ReturnType<typeof authPlugin> }) => {
  const single = new AccountService(deps);
  const now = () => deps.clock.now();
  return new Elysia({ name: "routes.accounts.single", prefix: "/api/v1" })
    .use(withRequestId)
    .use(deps.auth)
    .get("/accounts/:id/positions", ({ params, requestId }) => okBody(requestId, now(), single.positions(params.id)), {
      auth: "apiKey", params: AccountParams, response: positionsResponses,
      detail: { tags: TAGS, summary: "Single account positions", description: "The account's figures and open positions from memory. 404 for an account the venue does not know, or one not tracked yet (a lookup is then queued)." },
    })
    .get("/accounts/:id/fills", async ({ params, query, requestId }) => { const r = await single.fills(params.id, query, now()); return okBody(requestId, now(), r.data, r.meta); }, {
      auth: "apiKey", params: AccountParams, query: FillsQuery, response: fillsResponses,
      detail: { tags: TAGS, summary: "Single account fill history", description: "Stored fills in [start, end) (default the last 7 days; at most 31 days), newest first, paged by `limit` (max 1,000) and `offset` with meta.total; `market_id` filters." },
    })
    .get("/accounts/:id/pnl", async ({ params, query, requestId }) => okBody(requestId, now(), await single.pnl(params.id, query, now())), {
      auth: "apiKey", params: AccountParams, query: PnlQuery, response: pnlResponses,
      detail: { tags: TAGS, summary: "PnL snapshot history", description: "Recorded snapshots (every minute by default) at `resolution` 1m…1d: the last snapshot of each bucket (equity = collateral + unrealized PnL, realized, funding, notional), oldest first, at most 1,000 buckets; `current` is the live figure." },
    })
    .get("/accounts/:id/liquidation-risk", ({ params, query, requestId }) => okBody(requestId, now(), single.liquidationRisk(params.id, query)), {
      auth: "apiKey", params: AccountParams, query: RiskQuery, response: riskResponses,
      detail: { tags: TAGS, summary: "Liquidation risk estimate", description: "Per position: liquidation price (reference §E.2), distance from the mark and whether it is breached; for the cross account: margin ratio, stage, and the uniform move of every mark that reaches the maintenance requirement. `shock_pct` (with optional `market_id`) evaluates the account with the marks moved." },
    });
};
