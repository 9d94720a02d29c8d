/**
 * Who a request acts for, once authenticated, and what it was charged. Kept per Request (a
 * WeakMap, like the request id) so hooks that run at different points of Elysia's lifecycle —
 * authentication before validation, credits after it, usage after the response — share it
 * without widening the handler context.
 */
import type { CostKind, TierId } from "../domain/tiers";

/** A request authenticated with an API key: limits per key at `tier`, credits per account at `plan`. */
export interface KeyPrincipal {
  kind: "key";
  keyId: string;
  userId: string;
  /** The key's tier (requests/minute). */
  tier: TierId;
  /** The account's plan (credits, WS connections). */
  plan: TierId;
}

/** A request authenticated with a JWT (dashboard, key management, billing). */
export interface UserPrincipal {
  kind: "user";
  userId: string;
  plan: TierId;
}

/** The operator, with ADMIN_TOKEN. */
export interface AdminPrincipal {
  kind: "admin";
}

/** A public route's caller: nobody in particular. */
export interface AnonymousPrincipal {
  kind: "anonymous";
}

/** Whoever an authenticated request acts for. */
export type Principal = KeyPrincipal | UserPrincipal | AdminPrincipal | AnonymousPrincipal;

/** What the auth and metering hooks learned about one request. */
export interface RequestAuth {
  /** The auth class that authenticated it ("apiKey", "jwt", …). */
  cls: string;
  principal: Principal;
  /** The route's cost class. */
  costKind: CostKind;
  /** Credits actually debited (0 until the debit, and on refusal). */
  charged: number;
  /** Set once the credit step has started, so a second declaration never charges twice. */
  charging?: boolean;
}

const byRequest = new WeakMap<Request, RequestAuth>();

/** Records the authenticated principal of `request`. */
export function setRequestAuth(request: Request, auth: RequestAuth): void {
  byRequest.set(request, auth);
}

/** The principal of `request`, if it was authenticated. */
export function requestAuth(request: Request): RequestAuth | undefined {
  return byRequest.get(request);
}
