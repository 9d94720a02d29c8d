/**
 * Composes the HTTP surface: cross-cutting plugins first (request ids, errors, observability,
 * docs), then one plugin per route group, each handed only the dependencies it uses.
 */
import { Elysia } from "elysia";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { Metrics } from "./metrics";
import { requestContext } from "./plugins/request-context";
import { errorHandler } from "./plugins/errors";
import { observability } from "./plugins/observability";
import { apiDocs } from "./plugins/openapi";
import { healthRoutes } from "./routes/health";
import type { HealthService } from "./routes/health/service";
import type { MarketDataStore } from "../store/ports";
import type { LiveMarketView } from "../market/live";
import { orderbookRoutes } from "./routes/orderbook";
import { tradesRoutes } from "./routes/trades";
import { liquidationsRoutes } from "./routes/liquidations";
import { fundingRoutes } from "./routes/funding";
import { exchangeRoutes } from "./routes/exchange";

/** What the /api/v1 market-data groups read: the store (history), the live read model, the venue served. */
export interface MarketDataDeps {
  store: MarketDataStore;
  live: LiveMarketView;
  venue: string;
}

export interface AppDeps {
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  version: string;
  health: HealthService;
  /** Largest accepted request body; larger ones get 413 payload_too_large. */
  maxBodyBytes?: number;
  /** Mounts the /api/v1 market-data routes when present (absent on nodes without a store). */
  marketData?: MarketDataDeps;
}

/**
 * The /api/v1 market-data groups (orderbook, trades & candles, liquidations, funding, exchange)
 * behind one plugin, so a guard added here (auth, rate limit, credits) covers every one of them.
 */
export const marketDataApi = (md: MarketDataDeps, clock: Clock) => {
  const src = { store: md.store, live: md.live, venue: md.venue, clock };
  return new Elysia({ name: "api.v1.market-data" })
    .use(orderbookRoutes(src))
    .use(tradesRoutes(src))
    .use(liquidationsRoutes(src))
    .use(fundingRoutes(src))
    .use(exchangeRoutes(src));
};

export function createApp(deps: AppDeps) {
  const app = new Elysia({ name: "hyperlight" });
  const composed = app
    .use(requestContext({ maxBodyBytes: deps.maxBodyBytes ?? 1024 * 1024 }))
    .use(errorHandler({ clock: deps.clock, log: deps.log, routes: () => app.routes }))
    .use(observability({ log: deps.log, metrics: deps.metrics }))
    .use(apiDocs({ version: deps.version, handle: (req) => app.handle(req) }))
    .use(healthRoutes({ health: deps.health, metrics: deps.metrics, clock: deps.clock }));
  // Mounted in place (`use` registers on the instance), so `App` keeps one type either way.
  if (deps.marketData) composed.use(marketDataApi(deps.marketData, deps.clock));
  return composed;
}

export type App = ReturnType<typeof createApp>;
