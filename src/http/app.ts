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
import { ORDERBOOK_ROUTE, orderbookRoutes } from "./routes/orderbook";
import { OrderbookService } from "./routes/orderbook/service";
import { fastOrderbook, type BunRouteHandler } from "./fast-orderbook";
import { tradesRoutes } from "./routes/trades";
import { liquidationsRoutes } from "./routes/liquidations";
import { fundingRoutes } from "./routes/funding";
import { exchangeRoutes } from "./routes/exchange";
import { exchangeMetricsRoutes } from "./routes/exchange-metrics";
import type { Identity } from "../identity";
import { authPlugin, declarePublicRoutes } from "./plugins/auth";
import { usageRecording } from "./plugins/rate-limit";
import { identityApi } from "./identity-api";
import type { WsServerOptions } from "../ws";
import type { AccountsStore } from "../store/ports";
import { unavailableAccounts, type AccountsReadModel } from "../actors/accounts/read-model";
import { accountsRoutes } from "./routes/accounts";
import { riskRoutes } from "./routes/risk";
import { signalsRoutes } from "./routes/signals";
import type { SignalsServiceDeps } from "./routes/signals/service";

/** What the /api/v1 market-data groups read: the store (history), the live read model, the venue served. */
export interface MarketDataDeps {
  store: MarketDataStore;
  live: LiveMarketView;
  venue: string;
  /**
   * Tracked venue accounts: the accounts, heatmap, cascade and top-accounts routes are mounted
   * when the store is given; they answer 503 while `accounts` (the trackers' read model) is absent
   * or unavailable on this node.
   */
  accountsStore?: AccountsStore;
  accounts?: AccountsReadModel;
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
  /**
   * Users, keys, tiers, rate limits and credits. Present: the identity routes are mounted and the
   * market-data routes sit behind the `apiKey` guard. Absent (tests of a route group on its own):
   * no identity routes, market data unauthenticated. startService always supplies it.
   */
  identity?: Identity;
  /** X-Forwarded-For entries appended by trusted proxies (0: the socket's address is the client). */
  trustProxyHops?: number;
  /**
   * The /ws streaming gateway (ws/index.ts): its route plugin, public at the HTTP level because the
   * key arrives in the first message, and the Bun WebSocket settings it needs (server-wide).
   */
  ws?: { plugin: Elysia; serverOptions: WsServerOptions };
  /** The /api/v1/signals group (alert rules, deliveries, backtests); mounted with `identity`. */
  signals?: SignalsServiceDeps;
  /**
   * Serve GET /api/v1/orderbook/:market_id through its Bun-native fast path when the app listens
   * (http/fast-orderbook.ts; same rules, same answers). Default true; false serves it through Elysia.
   */
  fastPaths?: boolean;
}

/**
 * The /api/v1 market-data groups (orderbook, trades & candles, liquidations, funding, exchange
 * stats and metrics) behind one plugin, so a guard added here (auth, rate limit, credits) covers
 * every one of them.
 */
export const marketDataApi = (md: MarketDataDeps, clock: Clock, orderbook?: OrderbookService) => {
  const src = { store: md.store, live: md.live, venue: md.venue, clock };
  return new Elysia({ name: "api.v1.market-data" })
    .use(orderbookRoutes({ ...src, service: orderbook }))
    .use(tradesRoutes(src))
    .use(liquidationsRoutes(src))
    .use(fundingRoutes(src))
    .use(exchangeRoutes(src))
    .use(exchangeMetricsRoutes(src));
};

export function createApp(deps: AppDeps) {
  // encodeSchema off: Elysia's `t.Integer` is a Transform (query strings → integers), so with it on
  // every response whose schema has an integer went through TypeBox's interpretive `Encode` walk of
  // the whole body (half the CPU of GET /api/v1/orderbook in bench/orderbook.ts). Our response
  // schemas have no transform whose encode does anything (t.Integer's is the identity), so the
  // compiled `Check` validates the same thing.
  // Bun-native routes that take precedence over Elysia's own when the app listens (filled below).
  const fastRoutes: Record<string, { GET: BunRouteHandler }> = {};
  // Elysia 1.4's `serve` type predates Bun's `routes` option, which Elysia passes through to Bun.serve as it is.
  const app = new Elysia({ name: "hyperlight", websocket: deps.ws?.serverOptions, encodeSchema: false, serve: { routes: fastRoutes } as never });
  const trustProxyHops = deps.trustProxyHops ?? 0;
  const auth = authPlugin({ identity: deps.identity, trustProxyHops });
  const composed = app
    .use(requestContext({ maxBodyBytes: deps.maxBodyBytes ?? 1024 * 1024 }))
    .use(errorHandler({ clock: deps.clock, log: deps.log, routes: () => app.routes }))
    .use(observability({ log: deps.log, metrics: deps.metrics }))
    .use(apiDocs({ version: deps.version, handle: (req) => app.handle(req) }))
    .use(auth)
    .use(usageRecording(deps.identity))
    // Every route declares an auth class (the authorization-matrix test fails on one that does not).
    .guard({ auth: "public" }, (g) => g.use(healthRoutes({ health: deps.health, metrics: deps.metrics, clock: deps.clock })));
  // The docs plugin must see every route, so it is not inside a guard; its routes are declared here.
  declarePublicRoutes(composed.routes, ["GET /swagger", "GET /openapi.json", "GET /swagger/assets/:file", "GET /openapi.yaml"]);
  // Mounted in place (`use` registers on the instance), so `App` keeps one type either way.
  if (deps.ws) {
    const wsPlugin = deps.ws.plugin;
    composed.guard({ auth: "public" }, (g) => g.use(wsPlugin));
  }
  if (deps.identity) composed.use(identityApi({ identity: deps.identity, clock: deps.clock, trustProxyHops, auth }));
  // Key or JWT, owner-scoped; each route declares its own class and cost.
  if (deps.identity && deps.signals) composed.use(signalsRoutes({ ...deps.signals, clock: deps.clock, auth }));
  if (deps.marketData) {
    const orderbook = new OrderbookService({ store: deps.marketData.store, live: deps.marketData.live, venue: deps.marketData.venue });
    const md = marketDataApi(deps.marketData, deps.clock, orderbook);
    if (deps.fastPaths !== false) {
      const fallback = (request: Request) => app.fetch(request);
      fastRoutes[ORDERBOOK_ROUTE] = { GET: fastOrderbook({ clock: deps.clock, log: deps.log, metrics: deps.metrics, service: orderbook, identity: deps.identity, trustProxyHops, fallback }) };
    }
    // API key, rate limit per key, credits per account ("standard" = 1 unless a route declares its cost).
    if (deps.identity) composed.guard({ auth: "apiKey" }, (g) => g.use(md));
    else composed.use(md);
    // Outside the guard: each of these routes declares its own auth class and credit cost.
    const { accountsStore, accounts, live, venue } = deps.marketData;
    if (accountsStore) {
      const acc = { accounts: accounts ?? unavailableAccounts, store: accountsStore, live, venue, clock: deps.clock, auth };
      composed.use(accountsRoutes(acc)).use(riskRoutes(acc));
    }
  }
  return composed;
}

export type App = ReturnType<typeof createApp>;
