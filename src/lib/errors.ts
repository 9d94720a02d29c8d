/**
 * The one error hierarchy. Every failure a client can see is an AppError with a stable `code`
 * from this table; the HTTP layer maps it to the envelope once, sockets to an error frame.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  batch_too_large: 400,
  unauthorized: 401,
  credits_exhausted: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limit_exceeded: 429,
  internal_error: 500,
  upstream_error: 502,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra machine-readable detail (e.g. the offending field); safe to show to clients. */
  readonly details?: Record<string, unknown>;
  /** Response headers the error requires (e.g. Retry-After). */
  readonly headers?: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { cause?: unknown; details?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = opts.details;
    this.headers = opts.headers;
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new AppError("bad_request", message, { details });
export const notFound = (message: string) => new AppError("not_found", message);

/** Anything that is not an AppError becomes `internal_error`; the original stays as the cause. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError("internal_error", "internal server error", { cause: err });
}
