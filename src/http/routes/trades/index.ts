import { Elysia } from "elysia";
import type { Clock } from "../../../lib/clock";
import { encodedJson, okBody } from "../../envelope";
import { withRequestId } from "../../plugins/request-context";
import {
  AGGREGATE_LIMITS,
  AggregateQuery,
  aggregateResponses,
  CANDLE_LIMITS,
  CandlesQuery,
  candlesResponses,
  TRADE_LIMITS,
  TradesQuery,
  tradesResponses,
} from "./model";
import { type TradesDeps, TradesService } from "./service";

const TAGS = ["Trades & Candles"];

/** GET /api/v1/trades/by-time, /api/v1/trades/aggregate and /api/v1/candles. */
export const tradesRoutes = (deps: TradesDeps & { clock: Clock }) => {
  const service = new TradesService(deps);
  return new Elysia({ name: "routes.trades", prefix: "/api/v1" })
    .use(withRequestId)
    .get(
      "/trades/by-time",
      async ({ query, requestId }) => {
        const { data, meta } = await service.byTime(query, deps.clock.now());
        return okBody(requestId, deps.clock.now(), data, meta);
      },
      {
        query: TradesQuery,
        response: tradesResponses,
        detail: {
          tags: TAGS,
          summary: "Trades within arbitrary time ranges",
          description: `Trades of one market with timestamp in [start, end) (start inclusive, end exclusive, end defaults to now; at most 7 days), oldest first by (timestamp, trade_id). Paged by \`limit\` (default ${TRADE_LIMITS.default}, max ${TRADE_LIMITS.max}) and \`offset\`; meta.total counts every match. \`side\` filters on the taker side.`,
        },
      },
    )
    .get("/trades/aggregate", async ({ query, requestId }) => okBody(requestId, deps.clock.now(), await service.aggregate(query, deps.clock.now())), {
      query: AggregateQuery,
      response: aggregateResponses,
      detail: {
        tags: TAGS,
        summary: "VWAP + volume aggregation at custom intervals",
        description: `Splits [start, end) (at most 7 days) into buckets of \`interval\` starting at \`start\` (the last one clipped to \`end\`) and reports per bucket and in total: exact VWAP, volume, notional, trade count and the taker buy/sell split, computed from every stored trade. At most ${AGGREGATE_LIMITS.maxBuckets} buckets per request.`,
      },
    })
    .get(
      "/candles",
      async ({ query, requestId, set }) => {
        const { data, meta } = await service.candlesJson(query, deps.clock.now());
        const tail = `,"meta":${JSON.stringify({ request_id: requestId, timestamp: deps.clock.now(), ...meta })}}`;
        // Encoded as bytes: 10,000 bars through objects, response validation and JSON.stringify
        // would cost more than reading them. The shape is the 200 schema below (the tests hold it to it).
        return encodedJson(set, new Blob(['{"success":true,"data":', ...data, tail]));
      },
      {
        query: CandlesQuery,
        response: candlesResponses,
        detail: {
          tags: TAGS,
          summary: "OHLCV candles (1m to 1w resolution)",
          description: `Stored bars of \`resolution\` whose open time is in [start, end), oldest first, at most \`limit\` (default ${CANDLE_LIMITS.default}, max ${CANDLE_LIMITS.max}). Without \`start\`: the latest \`limit\` bar slots before \`end\` (default now). When a page from an explicit \`start\` is full, meta.next_start is where the next page starts. Bars are kept current from the live tape, so the open bar is at most a second or so behind.`,
        },
      },
    );
};
