import { Elysia } from "elysia";
import type { Clock } from "../../../lib/clock";
import { okBody } from "../../envelope";
import { withRequestId } from "../../plugins/request-context";
import { ByTimeQuery, LIQUIDATION_LIMITS, liquidationsResponses, RecentQuery } from "./model";
import { type LiquidationsDeps, LiquidationsService } from "./service";

const TAGS = ["Liquidations"];

/** GET /api/v1/liquidations/by-time and /api/v1/liquidations/recent. */
export const liquidationsRoutes = (deps: LiquidationsDeps & { clock: Clock }) => {
  const service = new LiquidationsService(deps);
  return new Elysia({ name: "routes.liquidations", prefix: "/api/v1" })
    .use(withRequestId)
    .get(
      "/liquidations/by-time",
      async ({ query, requestId }) => {
        const { data, meta } = await service.byTime(query, deps.clock.now());
        return okBody(requestId, deps.clock.now(), data, meta);
      },
      {
        query: ByTimeQuery,
        response: liquidationsResponses,
        detail: {
          tags: TAGS,
          summary: "Liquidation events in a time range",
          description: `Liquidations and deleverages with timestamp in [start, end) (end defaults to now; at most 31 days), of one market or all, oldest first. Paged by \`limit\` (default ${LIQUIDATION_LIMITS.default}, max ${LIQUIDATION_LIMITS.max}) and \`offset\`, with meta.total.`,
        },
      },
    )
    .get(
      "/liquidations/recent",
      async ({ query, requestId }) => {
        const { data, meta } = await service.recent(query);
        return okBody(requestId, deps.clock.now(), data, meta);
      },
      {
        query: RecentQuery,
        response: liquidationsResponses,
        detail: {
          tags: TAGS,
          summary: "Recent liquidations across all markets",
          description: `The latest \`limit\` liquidations (default ${LIQUIDATION_LIMITS.default}, max ${LIQUIDATION_LIMITS.max}), newest first, across all markets or of \`market_id\`.`,
        },
      },
    );
};
