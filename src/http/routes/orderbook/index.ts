import { Elysia } from "elysia";
import type { Clock } from "../../../lib/clock";
import { encodedJson, okBody, okJsonText } from "../../envelope";
import { withRequestId } from "../../plugins/request-context";
import { MarketIdParams } from "../params";
import { BOOK_DEPTH, BookQuery, bookResponses, DepthQuery, depthResponses, SNAPSHOT_LIMITS, SnapshotQuery, snapshotsResponses } from "./model";
import { type OrderbookDeps, OrderbookService } from "./service";

const TAGS = ["Orderbook"];

/** The path of the live book route (also served by http/fast-orderbook.ts when the app listens). */
export const ORDERBOOK_ROUTE = "/api/v1/orderbook/:market_id";

/** GET /api/v1/orderbook/:market_id, …/depth and …/snapshots. */
export const orderbookRoutes = (deps: OrderbookDeps & { clock: Clock; service?: OrderbookService }) => {
  // Shared with the fast path of GET /api/v1/orderbook/:market_id when the app builds one.
  const service = deps.service ?? new OrderbookService(deps);
  return new Elysia({ name: "routes.orderbook", prefix: "/api/v1" })
    .use(withRequestId)
    .get(
      "/orderbook/:market_id",
      async ({ params, query, requestId, set }) => {
        // The hot path: `data` is serialised once per book version (see bookJson), the envelope is
        // spliced around it, and the body goes out as is. Its shape is the 200 schema below (the
        // route tests hold it to it); per-request validation of a cached body would re-check the same bytes.
        const data = await service.bookJson(params.market_id, query.depth);
        return encodedJson(set, okJsonText(requestId, deps.clock.now(), data));
      },
      {
        params: MarketIdParams,
        query: BookQuery,
        response: bookResponses,
        detail: {
          tags: TAGS,
          summary: "Current orderbook",
          description: `The live L2 book from the cache (sub-second fresh), best levels first, cut to \`depth\` levels per side (default ${BOOK_DEPTH.default}, max ${BOOK_DEPTH.max}). 404 for a market the venue does not list; 503 service_unavailable (with Retry-After) while the feed has no book for it yet.`,
        },
      },
    )
    .get("/orderbook/:market_id/depth", async ({ params, query, requestId }) => okBody(requestId, deps.clock.now(), await service.depth(params.market_id, query)), {
      params: MarketIdParams,
      query: DepthQuery,
      response: depthResponses,
      detail: {
        tags: TAGS,
        summary: "Aggregated depth at custom price levels",
        description:
          "Re-buckets the live book (its top 500 levels per side) at `tick_size` (a positive multiple of the market's tick): bids floor and asks ceil to the tick, so a bucket never looks better than the book. Each bucket has its size, cumulative size, exact notional (Σ price × size of its levels) and cumulative notional. Optional band: `min_price`/`max_price` (inclusive bucket prices) or `pct_from_mid` (± percent around the mid), not both. `levels` caps buckets per side (default 50, max 500).",
      },
    })
    .get(
      "/orderbook/:market_id/snapshots",
      async ({ params, query, requestId }) => {
        const { data, meta } = await service.snapshots(params.market_id, query, deps.clock.now());
        return okBody(requestId, deps.clock.now(), data, meta);
      },
      {
        params: MarketIdParams,
        query: SnapshotQuery,
        response: snapshotsResponses,
        detail: {
          tags: TAGS,
          summary: "Historical orderbook at any point in time",
          description: `Two modes, told apart by the parameters. Point mode, \`at=T\`: the book as of T, i.e. the latest stored snapshot at or before T (404 when there is none); \`data.snapshots\` has one element. Range mode, \`start\` (and optional \`end\`, default now): snapshots in [start, end), oldest first, paged by \`limit\` (default ${SNAPSHOT_LIMITS.default}, max ${SNAPSHOT_LIMITS.max}) and \`offset\` with meta.total; the range may span at most 1 day. Giving \`at\` together with \`start\`/\`end\` is a 400. \`depth\` cuts each snapshot to that many levels per side (default ${BOOK_DEPTH.default}).`,
        },
      },
    );
};
