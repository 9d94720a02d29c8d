import { Elysia } from "elysia";
import type { Clock } from "../../../lib/clock";
import { okBody } from "../../envelope";
import { withRequestId } from "../../plugins/request-context";
import { currentResponses, FUNDING_LIMITS, HistoryQuery, historyResponses } from "./model";
import { type FundingDeps, FundingService } from "./service";

const TAGS = ["Funding Rates"];

/** GET /api/v1/funding-rates and /api/v1/funding-rates/history. */
export const fundingRoutes = (deps: FundingDeps & { clock: Clock }) => {
  const service = new FundingService(deps);
  return new Elysia({ name: "routes.funding", prefix: "/api/v1" })
    .use(withRequestId)
    .get("/funding-rates", async ({ requestId }) => okBody(requestId, deps.clock.now(), await service.current()), {
      response: currentResponses,
      detail: {
        tags: TAGS,
        summary: "Current funding rates for all markets",
        description:
          "For every market the venue lists: the last settled and the predicted funding rate (percent per hour, signed), mark and index price and the next settlement time, from the live read model (sub-second fresh). Figures are null for a market the feed has no stats for yet.",
      },
    })
    .get(
      "/funding-rates/history",
      async ({ query, requestId }) => {
        const { data, meta } = await service.history(query, deps.clock.now());
        return okBody(requestId, deps.clock.now(), data, meta);
      },
      {
        query: HistoryQuery,
        response: historyResponses,
        detail: {
          tags: TAGS,
          summary: "Historical funding rate data",
          description: `Settled funding of one market or all, with settlement time in [start, end) (end defaults to now; at most 366 days), oldest first. Paged by \`limit\` (default ${FUNDING_LIMITS.default}, max ${FUNDING_LIMITS.max}) and \`offset\`, with meta.total.`,
        },
      },
    );
};
