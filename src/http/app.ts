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

export interface AppDeps {
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  version: string;
  health: HealthService;
  /** Largest accepted request body; larger ones get 413 payload_too_large. */
  maxBodyBytes?: number;
}

export function createApp(deps: AppDeps) {
  const app = new Elysia({ name: "hyperlight" });
  return app
    .use(requestContext({ maxBodyBytes: deps.maxBodyBytes ?? 1024 * 1024 }))
    .use(errorHandler({ clock: deps.clock, log: deps.log, routes: () => app.routes }))
    .use(observability({ log: deps.log, metrics: deps.metrics }))
    .use(apiDocs({ version: deps.version, handle: (req) => app.handle(req) }))
    .use(healthRoutes({ health: deps.health, metrics: deps.metrics, clock: deps.clock }));
}

export type App = ReturnType<typeof createApp>;
