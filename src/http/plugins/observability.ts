/**
 * One JSON log line and one metrics observation per request, taken after the response is sent so
 * neither sits on the request's path.
 */
import { Elysia } from "elysia";
import type { Logger } from "../../lib/log";
import type { Metrics } from "../metrics";
import { requestInfo } from "./request-context";

export const observability = (deps: { log: Logger; metrics: Metrics }) =>
  new Elysia({ name: "observability" }).onAfterResponse({ as: "global" }, (ctx) => {
    const { request, set } = ctx;
    const info = requestInfo(request);
    const seconds = (performance.now() - info.startedAt) / 1000;
    const route = (ctx as { route?: string }).route ?? "unmatched";
    const status = typeof set.status === "number" ? set.status : 200;
    deps.metrics.observeRequest(request.method, route, status, seconds);
    if (deps.log.enabled("info")) {
      const line: Record<string, unknown> = {
        request_id: info.id,
        method: request.method,
        route,
        status,
        duration_ms: Math.round(seconds * 1e6) / 1e3,
      };
      const keyId = (ctx as { keyId?: string }).keyId;
      if (keyId) line.key_id = keyId;
      deps.log.info("request", line);
    }
  });
