import { Elysia } from "elysia";
import { CREDIT_COSTS, TIER_IDS, TIERS } from "../../../domain/tiers";
import type { Clock } from "../../../lib/clock";
import { AppError } from "../../../lib/errors";
import type { Identity } from "../../../identity";
import { okBody } from "../../envelope";
import type { authPlugin } from "../../plugins/auth";
import { withRequestId } from "../../plugins/request-context";
import { accountResponses, tiersResponses, tierView } from "./model";

const TAGS = ["Auth, Billing & Health"];

/** GET /api/v1/account (key or JWT, not metered) and GET /api/v1/tiers (public). */
export const accountRoutes = (deps: { identity: Identity; clock: Clock; auth: ReturnType<typeof authPlugin> }) =>
  new Elysia({ name: "routes.account", prefix: "/api/v1" })
    .use(withRequestId)
    .use(deps.auth)
    .get(
      "/account",
      async ({ principal, requestId }) => {
        if (principal.kind !== "key" && principal.kind !== "user") throw new AppError("unauthorized", "not authenticated");
        const credits = await deps.identity.accounts.credits(principal.userId, principal.plan);
        const key = principal.kind === "key" ? { id: principal.keyId, tier: principal.tier, requests_per_minute: TIERS[principal.tier].requestsPerMinute } : null;
        return okBody(requestId, deps.clock.now(), {
          user_id: principal.userId, plan: tierView(TIERS[principal.plan]), key,
          credits: { month: credits.month, included: credits.included, used: credits.used, remaining: credits.remaining, overage: credits.overage, hard_cap: credits.hardCap, resets_at: credits.resetsAt },
        });
      },
      {
        auth: "keyOrJwt", response: accountResponses,
        detail: { tags: TAGS, summary: "Your plan, limits and this month's credits", description: "With an API key or a JWT. Not metered (costs no credits) but counts against the key's rate limit." },
      },
    )
    .get(
      "/tiers",
      ({ requestId }) =>
        okBody(requestId, deps.clock.now(), {
          tiers: TIER_IDS.map((id) => tierView(TIERS[id])),
          credit_costs: { standard: CREDIT_COSTS.standard, batch: CREDIT_COSTS.batch, heavy_batch: CREDIT_COSTS.heavyBatch, websocket: "free (not metered)" as const },
        }),
      { auth: "public", response: tiersResponses, detail: { tags: TAGS, summary: "Plans, their limits and credit costs", description: "The tier table as data (docs/tiers.md explains each number)." } },
    );
