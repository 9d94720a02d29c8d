import { Elysia, t } from "elysia";
import type { Clock } from "../../../lib/clock";
import { okBody } from "../../envelope";
import type { Metrics } from "../../metrics";
import { HealthBody, StatusEnvelope } from "./model";
import type { HealthService } from "./service";
import { withRequestId } from "../../plugins/request-context";

/** GET /health, GET /status and GET /metrics: no authentication. */
export const healthRoutes = (deps: { health: HealthService; metrics: Metrics; clock: Clock }) =>
  new Elysia({ name: "routes.health" })
    .use(withRequestId)
    .get(
      "/health",
      async ({ set }) => {
        const report = await deps.health.report();
        set.status = report.httpStatus;
        return report.body;
      },
      {
        response: { 200: HealthBody, 503: HealthBody },
        detail: { tags: ["Health"], summary: "Service health check", description: "Checks the store, the cache/limiter backend and the venue feed." },
      },
    )
    .get("/status", ({ requestId }) => okBody(requestId, deps.clock.now(), deps.health.upstream()), {
      response: { 200: StatusEnvelope },
      detail: { tags: ["Health"], summary: "Lighter network status", description: "State of the upstream venue connection." },
    })
    .get(
      "/metrics",
      ({ set }) => {
        set.headers["content-type"] = "text/plain; version=0.0.4; charset=utf-8";
        return deps.metrics.render();
      },
      { response: { 200: t.String({ description: "Prometheus text exposition." }) }, detail: { tags: ["Health"], summary: "Prometheus metrics" } },
    );
