/**
 * A fast path for the hottest read, GET /api/v1/orderbook/:market_id, served from Bun.serve's
 * native route table instead of Elysia's request pipeline (docs/market-data.md, "Serving the hot
 * reads", says why). It is NOT a second implementation of the route: every rule is the function
 * Elysia's plugins call — request id, authentication and rate limit (`authenticateRequest`), the
 * credit debit (`chargeRequest`), the book (`OrderbookService.bookJson`), the envelope
 * (`okJsonText`), error mapping (`appErrorResponse`), usage (`recordUsage`), the log line and
 * metrics (`recordRequest`). What it leaves out is Elysia's generic machinery: routing, context
 * objects, hook chains and TypeBox decoding of parameters.
 *
 * Parameters are read by a strict shape check instead of TypeBox. Anything the check does not
 * recognise — another query parameter, a non-canonical number, a body, another method — is handed
 * to the Elysia app untouched, BEFORE any side effect (no id, no rate-limit slot, no credit), so
 * Elysia answers it exactly as it always did. The Elysia route stays the reference: it carries the
 * OpenAPI schema and serves in-process requests (`app.handle`). test/integration/orderbook-fast-path
 * sends a table of requests to a server with and without this path and requires the same answers.
 */
import type { Identity } from "../identity";
import { requestAuth } from "../identity/principal";
import type { Clock } from "../lib/clock";
import { AppError } from "../lib/errors";
import { andThen, type Maybe } from "../lib/maybe";
import type { Logger } from "../lib/log";
import { okJsonText } from "./envelope";
import type { Metrics } from "./metrics";
import { authenticateRequest, chargeRequest } from "./plugins/auth";
import { appErrorResponse, internalErrorResponse } from "./plugins/errors";
import { recordRequest } from "./plugins/observability";
import { recordUsage } from "./plugins/rate-limit";
import { startRequestInfo } from "./plugins/request-context";
import { BOOK_DEPTH } from "./routes/orderbook/model";
import { ORDERBOOK_ROUTE } from "./routes/orderbook";
import type { OrderbookService } from "./routes/orderbook/service";

/** What the fast path needs: the same runtime the Elysia app was built from. */
export interface FastOrderbookDeps {
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  service: OrderbookService;
  /** Present: the route sits behind the apiKey class, as in the app. */
  identity: Identity | undefined;
  trustProxyHops: number;
  /** The Elysia app's fetch: answers every request whose shape the fast path does not take. */
  fallback: (request: Request) => Response | Promise<Response>;
}

type PeerServer = { requestIP(r: Request): { address: string } | null };
/** A Bun.serve route handler (Bun sets `params` from the route pattern). */
export type BunRouteHandler = (request: Request & { params?: Record<string, string> }, server: PeerServer) => Response | Promise<Response>;

/** Canonical integers only: TypeBox would also take "007", "1e2" or " 1", and those go to Elysia. */
const MARKET_ID = /^(?:0|[1-9][0-9]{0,8})$/;
const DEPTH = /^[1-9][0-9]{0,2}$/;
const API_KEY_VALUE = /^[A-Za-z0-9_]+$/;

/** `{ depth }` when the query is empty or only `depth` (canonical, in range) and/or a plain `api_key`; null otherwise. */
function parseQuery(url: string): { depth: number | undefined } | null {
  const q = url.indexOf("?");
  if (q < 0) return { depth: undefined };
  let depth: number | undefined;
  let sawKey = false;
  for (const pair of url.slice(q + 1).split("&")) {
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? "" : pair.slice(eq + 1);
    if (name === "depth" && depth === undefined && DEPTH.test(value)) {
      depth = Number(value);
      if (depth > BOOK_DEPTH.max) return null;
    } else if (name === "api_key" && !sawKey && API_KEY_VALUE.test(value)) sawKey = true;
    else return null;
  }
  return { depth };
}

/** The Bun route handler for GET {@link ORDERBOOK_ROUTE}. */
export function fastOrderbook(deps: FastOrderbookDeps): BunRouteHandler {
  const { clock, log, identity, service } = deps;
  const auth = { identity, trustProxyHops: deps.trustProxyHops };
  const observed = { log, metrics: deps.metrics };

  return (request, server) => {
    const raw = request.params?.market_id;
    const query = parseQuery(request.url);
    if (request.method !== "GET" || raw === undefined || !MARKET_ID.test(raw) || query === null || request.headers.has("content-length") || request.headers.has("transfer-encoding")) {
      return deps.fallback(request);
    }
    // The same order as the Elysia pipeline: id, authentication and rate limit, credits, handler.
    // Every step answers at once when its data is in memory (a cached key, the in-memory limiter
    // and meter, the in-process cache), so a warm request runs start to end without a promise;
    // a step that must wait makes the rest wait for it.
    const info = startRequestInfo(request);
    const headers: Record<string, string | number> = { "x-request-id": info.id };
    const failed = (err: unknown) =>
      err instanceof AppError ? appErrorResponse(err, info.id, clock.now(), log, headers) : internalErrorResponse(err, info.id, clock.now(), log, ORDERBOOK_ROUTE, headers);
    const finish = (response: Response) => {
      // Whatever authentication recorded for the request, also when it was refused afterwards (429):
      // logged and counted as the key's.
      const a = identity ? requestAuth(request) : undefined;
      const principal = a?.principal;
      recordRequest(observed, request.method, info, ORDERBOOK_ROUTE, response.status, principal?.kind === "key" ? principal.keyId : undefined);
      recordUsage(identity, a, response.status);
      return response;
    };
    const book = () =>
      andThen(service.bookJson(Number(raw), query.depth), (data) => {
        headers["content-type"] = "application/json";
        return new Response(okJsonText(info.id, clock.now(), data), { headers: headers as Record<string, string> });
      });
    let response: Maybe<Response>;
    try {
      response = identity
        ? andThen(authenticateRequest(auth, "apiKey", request, server, headers), (a) => andThen(chargeRequest(identity, a, undefined, headers), book))
        : book();
    } catch (err) {
      response = failed(err);
    }
    return response instanceof Promise ? response.catch(failed).then(finish) : finish(response);
  };
}
