/**
 * The response envelope every REST route speaks: `{success, data, meta}`. Schemas here feed the
 * OpenAPI document; helpers build bodies so no route assembles an envelope by hand.
 */
import { t, type TSchema } from "elysia";
import type { ErrorCode } from "../lib/errors";

export const Meta = t.Object(
  {
    request_id: t.String({ format: "uuid", description: "UUID v4 of this request, also sent as X-Request-Id." }),
    timestamp: t.Integer({ description: "Server time of the response, ms since the UNIX epoch." }),
    total: t.Optional(t.Integer({ minimum: 0, description: "Total matching rows (paginated routes)." })),
    limit: t.Optional(t.Integer({ minimum: 0 })),
    offset: t.Optional(t.Integer({ minimum: 0 })),
  },
  { additionalProperties: true },
);

/** A success envelope around `data`. */
export const Envelope = <T extends TSchema>(data: T, description?: string) =>
  t.Object({ success: t.Literal(true), data, meta: Meta }, { description });

export const ErrorBody = t.Object({
  code: t.String({ description: "Stable machine-readable error code, e.g. bad_request." }),
  message: t.String({ description: "Human-readable explanation." }),
  details: t.Optional(t.Record(t.String(), t.Unknown())),
});

export const ErrorEnvelope = t.Object(
  { success: t.Literal(false), data: ErrorBody, meta: Meta },
  { description: "Error envelope." },
);

/** The error responses every route can produce, merged into each route's `response` map. */
export const commonErrors = {
  400: ErrorEnvelope,
  404: ErrorEnvelope,
  500: ErrorEnvelope,
} as const;

/** The errors authentication and metering add to a route (401, 402, 403, 429; 503 when hashing is saturated). */
export const authErrors = {
  401: ErrorEnvelope,
  402: ErrorEnvelope,
  403: ErrorEnvelope,
  429: ErrorEnvelope,
  503: ErrorEnvelope,
} as const;

export interface MetaExtra {
  total?: number;
  limit?: number;
  offset?: number;
  [key: string]: unknown;
}

export interface EnvelopeMeta extends MetaExtra {
  request_id: string;
  timestamp: number;
}

/** The `set` of an Elysia handler context, as far as {@link encodedJson} needs it. */
interface ResponseSet {
  headers: Record<string, string | number | undefined>;
}

/**
 * A 200 response around a body the route already encoded as JSON (hot paths that serve cached
 * bytes). The headers earlier hooks set (request id, rate-limit and credit headers) go onto it and
 * `set.headers` is handed over: while `set.headers` is not empty, Elysia rebuilds a returned
 * Response to merge them, re-wrapping the body as a stream, which cost more than the route did.
 */
export function encodedJson(set: ResponseSet, body: string | Blob | Uint8Array): Response {
  const headers = set.headers as Record<string, string>;
  headers["content-type"] = "application/json";
  set.headers = {};
  return new Response(body, { headers });
}

/** A success envelope around `data` that is already JSON text (cached bodies of hot reads). */
export const okJsonText = (requestId: string, now: number, data: string): string =>
  `{"success":true,"data":${data},"meta":{"request_id":"${requestId}","timestamp":${now}}}`;

export function okBody<T>(requestId: string, now: number, data: T, extra?: MetaExtra) {
  return { success: true as const, data, meta: { request_id: requestId, timestamp: now, ...extra } };
}

export function errorBody(
  requestId: string,
  now: number,
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
) {
  const data: { code: ErrorCode; message: string; details?: Record<string, unknown> } = { code, message };
  if (details) data.details = details;
  return { success: false as const, data, meta: { request_id: requestId, timestamp: now } };
}
