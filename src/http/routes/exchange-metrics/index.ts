import { Elysia } from "elysia";
import { okBody } from "../../envelope";
import { withRequestId } from "../../plugins/request-context";
import { METRIC_RESOLUTIONS, METRICS_LIMITS, MetricsQuery, metricsResponses } from "./model";
import { type ExchangeMetricsDeps, ExchangeMetricsService } from "./service";

const TAGS = ["Exchange Analytics"];

/** GET /api/v1/exchange/metrics: exchange metrics history at a chosen resolution. */
export const exchangeMetricsRoutes = (deps: ExchangeMetricsDeps) => {
  const service = new ExchangeMetricsService(deps);
  return new Elysia({ name: "routes.exchange-metrics", prefix: "/api/v1" })
    .use(withRequestId)
    .get(
      "/exchange/metrics",
      async ({ query, requestId }) => {
        const { data, meta } = await service.metrics(query, deps.clock.now());
        return okBody(requestId, deps.clock.now(), data, meta);
      },
      {
        query: MetricsQuery,
        response: metricsResponses,
        detail: {
          tags: TAGS,
          summary: "Historical exchange-level metrics",
          description: [
            `Buckets of \`resolution\` (${METRIC_RESOLUTIONS.join(", ")}; aligned to UTC like candles) whose start is in [start, end), oldest first, at most \`limit\` (default ${METRICS_LIMITS.default}, max ${METRICS_LIMITS.max}); meta.total counts the buckets of the whole range and meta.next_start, when present, is where the next page starts. Without \`start\`: the latest \`limit\` buckets before \`end\` (default now).`,
            "With `market_id`: that market's volume, quote volume and trades (from the stored candles of the resolution), open interest (USD), mark price and funding rate at the bucket's last per-minute sample, and its liquidations (count and USD volume). Without it: exchange totals over every market the venue lists — quote volume, trades, open interest (Σ of each market's last sample in the bucket) and liquidations.",
            `Metrics are sampled once a minute from the venue's stats; a bucket without a sample has null open interest. At most ${METRICS_LIMITS.maxLiquidations} liquidations are folded into one response (400 beyond it).`,
          ].join("\n\n"),
        },
      },
    );
};
