import { Elysia } from "elysia";
import { okBody } from "../../envelope";
import { withRequestId } from "../../plugins/request-context";
import { statsResponses } from "./model";
import { type ExchangeDeps, ExchangeService } from "./service";

const TAGS = ["Exchange Analytics"];

/**
 * GET /api/v1/exchange/stats. (/exchange/metrics waits for an exchange-metrics aggregate in the
 * store port; /exchange/top-accounts belongs to the accounts work.)
 */
export const exchangeRoutes = (deps: ExchangeDeps) => {
  const service = new ExchangeService(deps);
  return new Elysia({ name: "routes.exchange", prefix: "/api/v1" })
    .use(withRequestId)
    .get("/exchange/stats", async ({ requestId }) => okBody(requestId, deps.clock.now(), await service.stats()), {
      response: statsResponses,
      detail: {
        tags: TAGS,
        summary: "24h volume, open interest, price changes",
        description:
          "Per market over the rolling 24 hours (the current 1m bar and the 1439 before it): base and quote volume, trade count, open, high, low, last, absolute and percent price change — computed exactly from the stored 1m candles — plus open interest (USD) and mark price from the live feed; and exchange totals. Recomputed at most once per second.",
      },
    });
};
