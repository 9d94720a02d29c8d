/**
 * Per-request metering after authentication: the rate limit (per key at the key's tier, per user
 * on dashboard routes) and the credit debit (per account at its plan), with their headers.
 *
 * Headers on every authenticated response:
 * - X-RateLimit-Limit / -Remaining: the tier's requests per minute and what is left in the sliding
 *   minute; X-RateLimit-Reset: UNIX seconds when the window is fully refilled; Retry-After
 *   (seconds) on 429. Unlimited tiers (Enterprise) send Limit and Remaining "unlimited" and Reset
 *   = now: there is no window to wait for.
 * - X-Credits-Cost: credits this request cost (0 when refused); X-Credits-Remaining: left of the
 *   month's allowance ("unlimited" on Enterprise; 0 while a paid plan runs on overage);
 *   X-Credits-Reset: UNIX seconds of the next UTC month; X-Credits-Overage once there is overage.
 */
import { Elysia } from "elysia";
import { creditCap, creditPeriod, type CreditPeriod, CREDIT_COSTS, DASHBOARD_REQUESTS_PER_MINUTE, overage, RATE_LIMIT_WINDOW_MS, TIERS } from "../../domain/tiers";
import { AppError } from "../../lib/errors";
import type { Identity } from "../../identity";
import type { CreditDecision } from "../../identity/credit-meter";
import { requestAuth, type KeyPrincipal, type Principal, type RequestAuth } from "../../identity/principal";
import { andThen, type Maybe } from "../../lib/maybe";
import type { LimitDecision } from "../../store/ports";

type Headers = Record<string, string | number>;

/** Applies the rate limit of `principal`; throws 429 with Retry-After when it is exhausted. */
export function limitRequest(identity: Identity, principal: Principal, headers: Headers): Maybe<void> {
  if (principal.kind === "admin" || principal.kind === "anonymous") return;
  const perMinute = principal.kind === "key" ? TIERS[principal.tier].requestsPerMinute : DASHBOARD_REQUESTS_PER_MINUTE;
  if (perMinute === null) {
    headers["x-ratelimit-limit"] = "unlimited";
    headers["x-ratelimit-remaining"] = "unlimited";
    headers["x-ratelimit-reset"] = String(Math.floor(identity.clock.now() / 1000));
    return;
  }
  const bucket = principal.kind === "key" ? `key:${principal.keyId}` : `user:${principal.userId}`;
  return andThen(identity.limiter.consume(bucket, perMinute, RATE_LIMIT_WINDOW_MS), (d) => applyLimit(d, principal, perMinute, headers));
}

/** The rate-limit headers of decision `d`; throws 429 when it refused. */
function applyLimit(d: LimitDecision, principal: Principal, perMinute: number, headers: Headers): void {
  headers["x-ratelimit-limit"] = String(d.limit);
  headers["x-ratelimit-remaining"] = String(d.remaining);
  headers["x-ratelimit-reset"] = String(Math.ceil(d.resetAt / 1000));
  if (!d.allowed) {
    const seconds = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
    const scope = principal.kind === "key" ? `the ${principal.tier} tier allows ${perMinute} requests per minute per key` : `dashboard routes allow ${perMinute} requests per minute`;
    throw new AppError("rate_limit_exceeded", `rate limit exceeded: ${scope}; retry in ${seconds} s`, {
      headers: { "retry-after": String(seconds) },
      details: { limit: perMinute, retry_after: seconds },
    });
  }
}

/** Debits the route's credits from the key's account; throws 402 credits_exhausted at a hard cap. */
export function chargeCredits(identity: Identity, auth: RequestAuth, headers: Headers): Maybe<void> {
  const p = auth.principal;
  if (p.kind !== "key") return;
  const cost = CREDIT_COSTS[auth.costKind];
  const period = creditPeriod(identity.clock.now());
  return andThen(identity.meter.debit({ userId: p.userId, month: period.month, cost, cap: creditCap(p.plan) }), (d) => applyDebit(d, auth, p, cost, period, headers));
}

/** The credit headers of debit `d`; records what was charged, or throws 402 when it was refused. */
function applyDebit(d: CreditDecision, auth: RequestAuth, p: KeyPrincipal, cost: number, period: CreditPeriod, headers: Headers): void {
  const included = TIERS[p.plan].monthlyCredits;
  headers["x-credits-cost"] = String(d.allowed ? cost : 0);
  headers["x-credits-remaining"] = included === null ? "unlimited" : String(Math.max(0, included - d.used));
  headers["x-credits-reset"] = String(Math.floor(period.end / 1000));
  const over = overage(p.plan, d.used);
  if (over > 0) headers["x-credits-overage"] = String(over);
  if (!d.allowed) {
    throw new AppError(
      "credits_exhausted",
      `monthly credits exhausted: the ${TIERS[p.plan].name} plan includes ${included?.toLocaleString("en-US")} credits per month with no overage; they reset at ${new Date(period.end).toISOString()}`,
      { details: { used: d.used, included, cost, resets_at: period.end } },
    );
  }
  auth.charged = cost;
}

/** Counts a finished key-authenticated request in the key's hourly usage (other requests: nothing). */
export function recordUsage(identity: Identity | undefined, auth: RequestAuth | undefined, status: number): void {
  if (!identity || !auth || auth.principal.kind !== "key") return;
  identity.usage.record(auth.principal.keyId, identity.clock.now(), auth.charged, status >= 400);
}

/** Counts every key-authenticated request in the key's hourly usage, after the response is sent. */
export const usageRecording = (identity: Identity | undefined) =>
  new Elysia({ name: "usage-recording" }).onAfterResponse({ as: "global" }, ({ request, set }) => {
    recordUsage(identity, requestAuth(request), typeof set.status === "number" ? set.status : 200);
  });
