/**
 * Maps every failure to the envelope once: validation and malformed bodies → 400 bad_request,
 * unknown routes → 404 not_found, AppErrors → their own code and status, anything else → 500
 * internal_error with the request id (logged with its stack, never shown to the client).
 */
import { Elysia, type TSchema } from "elysia";
import { AppError, type ErrorCode } from "../../lib/errors";
import type { Clock } from "../../lib/clock";
import type { Logger } from "../../lib/log";
import { errorBody } from "../envelope";
import { explainValidation, sameSentValue, type ValidationIssue } from "../validation";
import { requestInfo } from "./request-context";

interface ValidationLike {
  type?: string;
  value?: unknown;
  all?: Array<{ path?: string; summary?: string; message?: string }>;
}

interface RouteHooks {
  query?: TSchema;
  params?: TSchema;
  body?: TSchema;
  headers?: TSchema;
}

type RouteTable = Map<string, RouteHooks>;

function jsonError(status: number, body: unknown, headers?: Record<string, string>) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/**
 * The envelope response of an AppError, logged when it is a server fault. `headers` are the ones the
 * request had collected (request id, rate-limit and credit headers). The error handler below and
 * the orderbook fast path (http/fast-orderbook.ts) both answer through it.
 */
export function appErrorResponse(error: AppError, id: string, now: number, log: Logger, headers: Record<string, string | number>): Response {
  if (error.status >= 500) log.error("request failed", { request_id: id, code: error.code, err: error.cause ?? error });
  return jsonError(error.status, errorBody(id, now, error.code, error.message, error.details), { ...(headers as Record<string, string>), ...error.headers });
}

/** The 500 answer to an unexpected throw: logged with its stack, the client sees only the request id. */
export function internalErrorResponse(error: unknown, id: string, now: number, log: Logger, route: string | undefined, headers: Record<string, string | number>): Response {
  log.error("unhandled error", { request_id: id, route, err: error });
  return jsonError(500, errorBody(id, now, "internal_error", `internal server error (request id ${id})`), headers as Record<string, string>);
}

/** `routes()` is read lazily: the full route list exists only once the app is composed. */
export const errorHandler = (deps: { clock: Clock; log: Logger; routes: () => Iterable<{ method: string; path: string; hooks?: unknown }> }) => {
  let table: RouteTable | undefined;
  const hooksFor = (method: string, path: string | undefined): RouteHooks | undefined => {
    if (!path) return undefined;
    if (!table) {
      table = new Map();
      for (const r of deps.routes()) table.set(`${r.method} ${r.path}`, (r.hooks ?? {}) as RouteHooks);
    }
    return table.get(`${method} ${path}`);
  };

  return new Elysia({ name: "error-handler" }).onError({ as: "global" }, (ctx) => {
    const { code, error, request, set } = ctx;
    const route = (ctx as { route?: string }).route;
    const { id } = requestInfo(request);
    const now = deps.clock.now();
    const headers = { "x-request-id": id };
    const fail = (status: number, errCode: ErrorCode, message: string, details?: Record<string, unknown>, extra?: Record<string, string>) => {
      set.status = status;
      return jsonError(status, errorBody(id, now, errCode, message, details), { ...headers, ...extra });
    };

    if (error instanceof AppError) {
      set.status = error.status;
      return appErrorResponse(error, id, now, deps.log, headers);
    }
    switch (code) {
      case "VALIDATION": {
        const v = error as unknown as ValidationLike;
        const first = v.all?.[0];
        const query = Object.fromEntries(new URL(request.url).searchParams) as Record<string, unknown>;
        const params = (ctx as { params?: Record<string, unknown> }).params ?? {};
        const body = (ctx as { body?: unknown }).body;
        let part: ValidationIssue["part"];
        if (v.type === "property") {
          // Elysia checked one coerced query or path value and dropped its name; find where it came from.
          part = Object.values(query).some((x) => sameSentValue(x, v.value)) ? "query" : "params";
        } else if (v.type === "query" || v.type === "params" || v.type === "body" || v.type === "headers") {
          part = v.type;
        } else {
          return fail(400, "bad_request", first?.summary ?? "invalid request");
        }
        const raw = part === "query" ? query : part === "params" ? params : part === "body" && body && typeof body === "object" ? (body as Record<string, unknown>) : undefined;
        const pointer = first?.path ?? "";
        const top = pointer.split("/")[1];
        // TypeBox words a missing string property as a type error; a field absent from what the
        // client sent is "required", whatever the validator says.
        const absent = raw !== undefined && top !== undefined && top !== "" && pointer.split("/").length === 2 && !(top in raw);
        const { message, details } = explainValidation(
          { part, path: pointer, found: v.value, missing: absent || /missing|required/i.test(`${first?.summary} ${first?.message}`) },
          hooksFor(request.method, route)?.[part],
          raw,
        );
        return fail(400, "bad_request", message, details);
      }
      case "PARSE":
        return fail(400, "bad_request", "request body is not valid JSON (or does not match its content-type)");
      case "NOT_FOUND":
        return fail(404, "not_found", `no route for ${request.method} ${new URL(request.url).pathname}`);
      default: {
        const status = (error as { status?: number }).status;
        if (typeof status === "number" && status >= 400 && status < 500) {
          return fail(400, "bad_request", String((error as Error).message ?? "bad request"));
        }
        set.status = 500;
        return internalErrorResponse(error, id, now, deps.log, route, headers);
      }
    }
  });
};
