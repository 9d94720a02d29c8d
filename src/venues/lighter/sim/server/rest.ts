/**
 * The simulator's REST surface: one table of routes (reference §B.2) behind a plain `fetch`
 * handler. Success bodies carry `code: 200` beside the payload (no wrapper); refusals are HTTP 400
 * `{code, message}` with the venue's codes; unknown paths are 404.
 */
import type { Exchange } from "../engine/exchange.ts";
import { Query, VenueError } from "./params.ts";
import { accountRoutes } from "./rest-account.ts";
import { historyRoutes } from "./rest-history.ts";
import { marketRoutes, type Route } from "./rest-market.ts";

const ROUTES: ReadonlyMap<string, Route> = new Map(Object.entries({ ...marketRoutes, ...historyRoutes, ...accountRoutes }));

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8" } });

/** Paths the simulator serves. */
export const restPaths = (): string[] => [...ROUTES.keys()];

/**
 * Answers one REST request against the engine's current state, or null when the path is not a REST
 * route. `beforeRead` lets the caller bring the engine up to the present first.
 */
export function handleRest(ex: Exchange, req: Request, url: URL, beforeRead?: () => void): Response | null {
  const route = ROUTES.get(url.pathname.length > 1 ? url.pathname.replace(/\/$/, "") : url.pathname);
  if (!route) return null;
  if (req.method !== "GET" && req.method !== "HEAD") return json({ code: 20001, message: "method not allowed" }, 405);
  beforeRead?.();
  try {
    return json(route(ex, new Query(url.searchParams)));
  } catch (err) {
    if (err instanceof VenueError) return json({ code: err.code, message: err.message }, 400);
    return json({ code: 29500, message: "internal server error" }, 500);
  }
}
