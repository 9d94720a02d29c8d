/**
 * Gives every request an id (a valid incoming X-Request-Id is honoured, anything else replaced by
 * a fresh UUID v4), echoes it, records when the request started, and refuses oversized bodies
 * before they are read.
 */
import { Elysia } from "elysia";
import { isUuidV4, newRequestId } from "../../lib/ids";
import { AppError } from "../../lib/errors";

export interface RequestInfo {
  id: string;
  startedAt: number;
}

/** Request bookkeeping lives beside the Request object, so hooks that run before routing can see it. */
const infos = new WeakMap<Request, RequestInfo>();

/** The id and start time of a request (created on first access for requests that bypassed onRequest). */
export function requestInfo(request: Request): RequestInfo {
  let info = infos.get(request);
  if (!info) {
    info = { id: newRequestId(), startedAt: performance.now() };
    infos.set(request, info);
  }
  return info;
}

/** Starts a request's bookkeeping: a valid incoming X-Request-Id (lower-cased) or a fresh UUID v4. */
export function assignRequestInfo(request: Request): RequestInfo {
  const info = startRequestInfo(request);
  infos.set(request, info);
  return info;
}

/** The bookkeeping of a request that carries it along itself (the orderbook fast path), not beside the Request. */
export function startRequestInfo(request: Request): RequestInfo {
  const incoming = request.headers.get("x-request-id");
  return { id: isUuidV4(incoming) ? incoming.toLowerCase() : newRequestId(), startedAt: performance.now() };
}

/**
 * Adds `requestId` to every handler's context. Route plugins `.use()` it for typing; Elysia
 * de-duplicates it by name, so it runs once per request.
 */
export const withRequestId = new Elysia({ name: "request-id" }).derive({ as: "global" }, ({ request }) => ({
  requestId: requestInfo(request).id,
}));

/** Assigns ids, echoes X-Request-Id and refuses bodies over `maxBodyBytes` before they are read. */
export const requestContext = (opts: { maxBodyBytes: number }) =>
  new Elysia({ name: "request-context", seed: opts })
    .onRequest(({ request, set }) => {
      set.headers["x-request-id"] = assignRequestInfo(request).id;
      const length = Number(request.headers.get("content-length") ?? 0);
      if (length > opts.maxBodyBytes) {
        throw new AppError("payload_too_large", `request body exceeds ${opts.maxBodyBytes} bytes`);
      }
    })
    .use(withRequestId);
