/**
 * One JSON log line and one metrics observation per request, taken after the response is sent so
 * neither sits on the request's path.
 */
import { Elysia } from "elysia";
import type { Logger } from "../../lib/log";
import type { Metrics } from "../metrics";
import { requestInfo, type RequestInfo } from "./request-context";

/** What {@link recordRequest} needs. */
export interface ObservabilityDeps {
  log: Logger;
  metrics: Metrics;
}

/**
 * Observes one finished request: the latency histogram and request counter, and the `request` log
 * line. The plugin below and the orderbook fast path (http/fast-orderbook.ts) both record through it.
 */
export function recordRequest(deps: ObservabilityDeps, method: string, info: RequestInfo, route: string, status: number, keyId: string | undefined): void {
  const seconds = (performance.now() - info.startedAt) / 1000;
  deps.metrics.observeRequest(method, route, status, seconds);
  if (deps.log.enabled("info")) {
    const line: Record<string, unknown> = {
      request_id: info.id,
      method,
      route,
      status,
      duration_ms: Math.round(seconds * 1e6) / 1e3,
    };
    if (keyId) line.key_id = keyId;
    deps.log.info("request", line);
  }
}

export const observability = (deps: ObservabilityDeps) =>
  new Elysia({ name: "observability" }).onAfterResponse({ as: "global" }, (ctx) => {
    const { request, set } = ctx;
    const route = (ctx as { route?: string }).route ?? "unmatched";
    const status = typeof set.status === "number" ? set.status : 200;
    recordRequest(deps, request.method, requestInfo(request), route, status, (ctx as { keyId?: string }).keyId);
  });
