import { Elysia } from "elysia";
import type { Clock } from "../../../lib/clock";
import { AppError, badRequest } from "../../../lib/errors";
import { parseTimeParam } from "../../../domain/time";
import type { Principal } from "../../../identity/principal";
import { okBody } from "../../envelope";
import { withRequestId } from "../../plugins/request-context";
import type { authPlugin } from "../../plugins/auth";
import { describeDuration, resolveRange } from "../params";
import {
  BacktestBody, BacktestQuery, backtestResponses, createResponses, CreateSignalBody, deleteResponses, deliveriesResponses, deliveryView, ListQuery,
  listResponses, PatchSignalBody, SIGNAL_LIMITS, SignalIdParams, signalResponses, signalView, testResponses,
} from "./model";
import { type BacktestOutcome, type Owner, SignalsService, type SignalsServiceDeps } from "./service";

const TAGS = ["Signal Engine"];

/** The account a key or JWT acts for (the auth macro guarantees one of the two). */
function owner(p: Principal): Owner {
  if (p.kind !== "key" && p.kind !== "user") throw new AppError("unauthorized", "not authenticated");
  return { userId: p.userId, plan: p.plan };
}

/** A body time (ms number or string) → ms; 400 naming the field. */
function bodyTime(field: string, v: number | string): number {
  const ms = parseTimeParam(v);
  if (ms === null) throw badRequest(`body field '${field}' must be a time between 2000 and 2100 (ms since the epoch or ISO-8601)`, { in: "body", field });
  return ms;
}

/** [start, end) of a backtest body: end defaults to now; bounded like the query form. */
function bodyRange(body: { start: number | string; end?: number | string }, now: number) {
  const start = bodyTime("start", body.start);
  const end = body.end === undefined ? now : bodyTime("end", body.end);
  if (start >= end) throw badRequest(`body field 'start' (${start}) must be before 'end' (${end})`, { in: "body", field: "start" });
  if (end - start > SIGNAL_LIMITS.backtestMaxMs) {
    throw badRequest(`time range too long: at most ${describeDuration(SIGNAL_LIMITS.backtestMaxMs)} between 'start' and 'end' (got ${describeDuration(end - start)})`, {
      in: "body", field: "start", max_range_ms: SIGNAL_LIMITS.backtestMaxMs,
    });
  }
  return { start, end };
}

const backtestView = (marketId: number, range: { start: number; end: number }, r: BacktestOutcome) => ({
  market_id: marketId, start: range.start, end: range.end, count: r.count, truncated: r.truncated,
  scanned: { trades: r.scanned.trades, book_snapshots: r.scanned.books, funding: r.scanned.funding, heatmap_totals: r.scanned.heatmaps },
  firings: r.firings.map((f) => ({ ts: f.ts, values: f.values as Record<string, string> })),
});

const BACKTEST_DOC = `Replays stored history of the signal's market in [start, end) (at most ${describeDuration(SIGNAL_LIMITS.backtestMaxMs)}) through the same evaluator and cooldown as live signals. Returns the count and the first ${SIGNAL_LIMITS.backtestMaxFirings} firings with the value of every field the rule names. Costs heavy-batch credits with an API key.`;

/** The /api/v1/signals group: CRUD, delivery history, test events and backtests — by API key or JWT, owner-scoped. */
export const signalsRoutes = (deps: SignalsServiceDeps & { clock: Clock; auth: ReturnType<typeof authPlugin> }) => {
  const service = new SignalsService(deps);
  const now = () => deps.clock.now();
  const range = (q: { start?: string; end?: string }) => resolveRange(q, now(), { maxMs: SIGNAL_LIMITS.backtestMaxMs });
  return new Elysia({ name: "routes.signals", prefix: "/api/v1" })
    .use(withRequestId)
    .use(deps.auth)
    .post(
      "/signals",
      async ({ body, principal, requestId, set }) => {
        const created = await service.create(owner(principal), body);
        set.status = 201;
        return okBody(requestId, now(), signalView(created));
      },
      { auth: "keyOrJwt", body: CreateSignalBody, response: createResponses, detail: { tags: TAGS, summary: "Create alert rule (JSON DSL)", description: "Validates the rule (400 naming the offending path), the market (404 if unknown) and each webhook URL against the SSRF policy. The number of signals per account is limited by plan (403). Secrets are never returned: only their last 4 characters." } },
    )
    .get(
      "/signals",
      async ({ query, principal, requestId }) => {
        const page = { limit: query.limit ?? SIGNAL_LIMITS.listDefault, offset: query.offset ?? 0 };
        const { rows, total } = await service.list(owner(principal), page);
        return okBody(requestId, now(), { signals: rows.map(signalView) }, { total, ...page });
      },
      { auth: "keyOrJwt", query: ListQuery, response: listResponses, detail: { tags: TAGS, summary: "List your alerts", description: "Your signals, oldest first, paged by limit/offset (meta.total counts all)." } },
    )
    .get("/signals/:signal_id", async ({ params, principal, requestId }) => okBody(requestId, now(), signalView(await service.get(owner(principal), params.signal_id))), {
      auth: "keyOrJwt", params: SignalIdParams, response: signalResponses, detail: { tags: TAGS, summary: "Get alert details", description: "Another account's signal answers 404, like a missing one." },
    })
    .patch("/signals/:signal_id", async ({ params, body, principal, requestId }) => okBody(requestId, now(), signalView(await service.update(owner(principal), params.signal_id, body))), {
      auth: "keyOrJwt", params: SignalIdParams, body: PatchSignalBody, response: signalResponses,
      detail: { tags: TAGS, summary: "Update alert rule", description: "Absent fields stay; delivery_channels replaces the whole list (secrets included). Every changed field is validated as on creation. Takes effect on the evaluating node within about 2 seconds." },
    })
    .delete(
      "/signals/:signal_id",
      async ({ params, principal, requestId }) => {
        await service.remove(owner(principal), params.signal_id);
        return okBody(requestId, now(), { id: params.signal_id, deleted: true as const });
      },
      { auth: "keyOrJwt", params: SignalIdParams, response: deleteResponses, detail: { tags: TAGS, summary: "Delete alert", description: "Stops the rule and cancels its pending deliveries." } },
    )
    .get(
      "/signals/:signal_id/deliveries",
      async ({ params, query, principal, requestId }) => {
        const page = { limit: query.limit ?? SIGNAL_LIMITS.listDefault, offset: query.offset ?? 0 };
        const { rows, total } = await service.deliveries(owner(principal), params.signal_id, page, SIGNAL_LIMITS.attemptsShown);
        return okBody(requestId, now(), { deliveries: rows.map(deliveryView) }, { total, ...page });
      },
      { auth: "keyOrJwt", params: SignalIdParams, query: ListQuery, response: deliveriesResponses, detail: { tags: TAGS, summary: "Webhook delivery attempts", description: `One row per firing (or test event) and channel, newest first: status, attempt count, last HTTP status or error, next retry, the exact payload, and the latest ${SIGNAL_LIMITS.attemptsShown} attempts (time, duration, status or error, outcome).` } },
    )
    .post(
      "/signals/:signal_id/test",
      async ({ params, principal, requestId, set }) => {
        const rows = await service.test(owner(principal), params.signal_id);
        set.status = 202;
        return okBody(requestId, now(), { delivery_ids: rows.map((r) => r.id) });
      },
      { auth: "keyOrJwt", cost: "standard", params: SignalIdParams, response: testResponses, detail: { tags: TAGS, summary: "Send a test event", description: "Queues a signed test event (`\"test\": true`) to every active channel; follow it in …/deliveries. 409 when every channel is disabled." } },
    )
    .get(
      "/signals/:signal_id/backtest",
      async ({ params, query, principal, requestId }) => {
        const r = range(query);
        const dry = query.deliver === "dry_run" ? { paceMs: query.pace_ms ?? SIGNAL_LIMITS.paceDefaultMs } : undefined;
        const out = await service.backtestSaved(owner(principal), params.signal_id, r, dry);
        return okBody(requestId, now(), { ...backtestView(out.marketId, r, out.result), ...(out.dryRun ? { dry_run: out.dryRun } : {}) });
      },
      {
        auth: "keyOrJwt", cost: "heavyBatch", params: SignalIdParams, query: BacktestQuery, response: backtestResponses,
        detail: { tags: TAGS, summary: "Backtest against historical data", description: `${BACKTEST_DOC} With deliver=dry_run, the first ${SIGNAL_LIMITS.dryRunMaxDeliveries} firings are also sent to the signal's webhooks as test events, pace_ms apart.` },
      },
    )
    .post(
      "/signals/backtest",
      async ({ body, principal, requestId }) => {
        owner(principal);
        const r = bodyRange(body, now());
        const out = await service.backtestRule(body, r);
        return okBody(requestId, now(), backtestView(out.marketId, r, out.result));
      },
      { auth: "keyOrJwt", cost: "heavyBatch", body: BacktestBody, response: backtestResponses, detail: { tags: TAGS, summary: "Backtest an unsaved rule", description: BACKTEST_DOC.replace("the signal's market", "the market") } },
    );
};
