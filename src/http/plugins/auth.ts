/**
 * Authentication classes, declared per route with the `auth` macro and enforced here:
 *
 * - `public`   no credential (health, docs, register, login).
 * - `apiKey`   data endpoints: `X-Api-Key: hlt_…` (preferred), `Authorization: Bearer hlt_…` or
 *              `?api_key=hlt_…`. Rate limited per key at the key's tier; credits per account.
 * - `jwt`      dashboard endpoints (key management, billing): `Authorization: Bearer <JWT>`.
 * - `keyOrJwt` where the guide accepts both (signals, the account overview).
 * - `admin`    operator endpoints: `Authorization: Bearer <ADMIN_TOKEN>` (or `X-Admin-Token`).
 *
 * A route declares `{ auth: "apiKey" }`, and a metered route that is not a standard request also
 * its cost kind: `{ auth: "apiKey", cost: "batch" }`. A group is put behind a class with
 * `app.guard({ auth: "apiKey" }, (g) => g.use(plugin))`; its routes then declare only a cost, never a
 * second class (two classes on one request are refused as a server bug). The macros write the class
 * and cost into the route's OpenAPI detail (`x-auth`, `x-credit-cost`, `security`), which is also
 * how the authorization-matrix test finds routes that declare nothing.
 *
 * Authentication and rate limiting run in `transform`, i.e. BEFORE validation: an anonymous or
 * throttled caller learns nothing about a route's parameters, and a 401 is a 401 whatever the query.
 * Credits are debited in `resolve`, after validation, so a malformed request costs no credits.
 */
import { Elysia, type DocumentDecoration } from "elysia";
import type { CostKind } from "../../domain/tiers";
import { AppError } from "../../lib/errors";
import { andThen, type Maybe } from "../../lib/maybe";
import type { Identity } from "../../identity";
import { requestAuth, setRequestAuth, type Principal, type RequestAuth } from "../../identity/principal";
import { authenticateAdmin, authenticateJwt, authenticateKey, readCredentials } from "./credentials";
import { chargeCredits, limitRequest } from "./rate-limit";

/** How a route authenticates its callers. */
export type AuthClass = "public" | "apiKey" | "jwt" | "keyOrJwt" | "admin";

/** The OpenAPI detail field holding a route's class (read by the authorization-matrix test). */
export const AUTH_DETAIL = "x-auth";

const SECURITY: Record<AuthClass, Array<Record<string, string[]>>> = {
  public: [],
  apiKey: [{ ApiKeyHeader: [] }, { Bearer: [] }, { ApiKeyQuery: [] }],
  jwt: [{ Bearer: [] }],
  keyOrJwt: [{ ApiKeyHeader: [] }, { Bearer: [] }, { ApiKeyQuery: [] }],
  admin: [{ Bearer: [] }],
};

/** Options of {@link authPlugin}. */
export interface AuthOptions {
  /** Absent: every non-public route answers 503 (fail closed). */
  identity: Identity | undefined;
  /** X-Forwarded-For entries appended by trusted proxies (0: use the socket address). */
  trustProxyHops: number;
}

/** The client address: the socket's, or the entry `hops` from the right of X-Forwarded-For. */
export function clientIp(request: Request, socketIp: string | undefined, hops: number): string | null {
  if (hops > 0) {
    const chain = (request.headers.get("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    const entry = chain[chain.length - hops];
    if (entry) return entry;
  }
  return socketIp ?? null;
}

interface HookContext {
  request: Request;
  set: { headers: Record<string, string | number> };
  server: { requestIP(r: Request): { address: string } | null } | null;
}

/**
 * Marks routes that a third-party plugin registers (and so cannot carry the macro, e.g. the
 * OpenAPI document and Swagger UI of @elysiajs/openapi) as public, by "METHOD /path". Only the
 * routes named here: anything else such a plugin adds stays undeclared and fails the matrix test.
 */
export function declarePublicRoutes(routes: Iterable<{ method: string; path: string; hooks?: unknown }>, which: readonly string[]): void {
  const wanted = new Set(which);
  for (const r of routes) {
    if (!wanted.has(`${r.method} ${r.path}`)) continue;
    const hooks = r.hooks as { detail?: Record<string, unknown> } | undefined;
    if (hooks) hooks.detail = { ...hooks.detail, [AUTH_DETAIL]: "public", "x-credit-cost": "none", security: [] };
  }
}

type PeerServer = { requestIP(r: Request): { address: string } | null } | null | undefined;

/**
 * Authenticates `request` for a non-public class, records the principal on the request (so `onPrincipal`,
 * the credit step, usage and the log can see it) and applies the rate limit, adding its headers to
 * `headers`. The `auth` macro and the orderbook fast path (http/fast-orderbook.ts) share it.
 */
export function authenticateRequest(
  opts: AuthOptions,
  cls: Exclude<AuthClass, "public">,
  request: Request,
  server: PeerServer,
  headers: Record<string, string | number>,
  onPrincipal?: (principal: Principal) => void,
): Maybe<RequestAuth> {
  const identity = opts.identity;
  if (!identity) throw new AppError("service_unavailable", "authentication is not configured on this node");
  // Looked up only for keys with an IP allowlist: asking the server for the peer address is
  // a measurable part of an authenticated request.
  const ip = () => clientIp(request, server?.requestIP(request)?.address, opts.trustProxyHops);
  const creds = readCredentials(request);
  let principal: Maybe<Principal>;
  if (cls === "admin") principal = authenticateAdmin(identity, creds);
  else if (cls === "jwt") principal = authenticateJwt(identity, creds, "jwt");
  else if (cls === "apiKey" || creds.key !== undefined || creds.bearerIsKey) principal = authenticateKey(identity, creds, ip, cls);
  else principal = authenticateJwt(identity, creds, "keyOrJwt");
  // A cached key and an in-memory limiter answer at once: the whole step then runs without a promise.
  return andThen(principal, (p) => {
    onPrincipal?.(p);
    const auth: RequestAuth = { cls, principal: p, costKind: "none", charged: 0 };
    setRequestAuth(request, auth);
    return andThen(limitRequest(identity, p, headers), () => auth);
  });
}

/**
 * The credit step of an authenticated request: data routes (apiKey) are standard requests unless
 * they declare a cost; routes that also take a JWT (account, signals) are not metered unless they
 * declare one. Marks the request as charging first, so a second declaration never charges twice.
 */
export function chargeRequest(identity: Identity, auth: RequestAuth, declared: CostKind | undefined, headers: Record<string, string | number>): Maybe<void> {
  auth.charging = true;
  auth.costKind = declared ?? (auth.cls === "apiKey" ? "standard" : "none");
  if (auth.costKind !== "none") return chargeCredits(identity, auth, headers);
}

const ANONYMOUS: Principal = Object.freeze({ kind: "anonymous" });
/** Cost kinds declared by the `cost` macro, per request (read when credits are charged). */
const declaredCost = new WeakMap<Request, CostKind>();

/**
 * The `auth` macro. `.use()` it before declaring routes (or guards) that name a class. Every class
 * returns the same hook shape (Elysia types a macro by one return type); on `public` routes the
 * hooks return at once.
 */
export const authPlugin = (opts: AuthOptions) =>
  // The seed tells instances apart (one per app) without hashing the identity runtime; route
  // groups `.use()` the app's instance, which Elysia then registers once.
  new Elysia({ name: "auth", seed: crypto.randomUUID() }).macro({
    /** What a key-authenticated request costs; without it an apiKey route is a standard request and a keyOrJwt route is free. */
    cost: (kind: CostKind) => ({
      detail: { "x-credit-cost": kind } as DocumentDecoration,
      transform(ctx: HookContext) {
        declaredCost.set(ctx.request, kind);
      },
    }),
    auth: (cls: AuthClass) => {
      const detail = { [AUTH_DETAIL]: cls, security: SECURITY[cls] } as DocumentDecoration;
      return {
        detail,
        async transform(ctx: HookContext) {
          if (cls === "public") return;
          const already = requestAuth(ctx.request);
          if (already) {
            // Declared twice (a guard and the route): the same class is one check, two are a bug.
            if (already.cls !== cls) throw new AppError("internal_error", `route declares two auth classes (${already.cls}, ${cls})`);
            return;
          }
          await authenticateRequest(opts, cls, ctx.request, ctx.server, ctx.set.headers, (p) => {
            // Visible to the request log (observability reads ctx.keyId), even when a later hook fails.
            if (p.kind === "key") (ctx as unknown as { keyId?: string }).keyId = p.keyId;
          });
        },
        async resolve(ctx: HookContext) {
          const auth = cls === "public" ? undefined : requestAuth(ctx.request);
          if (cls !== "public" && !auth) throw new AppError("unauthorized", "not authenticated");
          // Charged once per request (resolve also runs once per declaration), after validation.
          if (opts.identity && auth?.principal.kind === "key" && !auth.charging) {
            await chargeRequest(opts.identity, auth, declaredCost.get(ctx.request), ctx.set.headers);
          }
          const principal = auth?.principal ?? ANONYMOUS;
          const userId = principal.kind === "key" || principal.kind === "user" ? principal.userId : undefined;
          return { principal, userId, keyId: principal.kind === "key" ? principal.keyId : undefined };
        },
      };
    },
  });
