/**
 * Checking credentials, framework-free (the REST auth plugin and the WebSocket gateway share it).
 * Every refusal is an AppError with the guide's codes: missing, malformed, unknown or revoked →
 * 401 `unauthorized`; expired, disabled or from an address the key does not allow → 403
 * `forbidden`; the wrong kind of credential (a JWT where a key is required, or the reverse) → 401
 * naming the credential the route needs (details.credential). Messages never echo a credential.
 */
import { timingSafeEqual } from "node:crypto";
import { tierRank, type TierId } from "../domain/tiers";
import { AppError } from "../lib/errors";
import { looksLikeJwt } from "../lib/jwt";
import { andThen, type Maybe } from "../lib/maybe";
import type { Identity } from "./index";
import { hashApiKey, isApiKeyFormat } from "./api-key";
import type { ResolvedKey } from "./key-directory";
import type { AdminPrincipal, KeyPrincipal, UserPrincipal } from "./principal";

/** The credentials a request carries, by where they came from. */
export interface Credentials {
  /** From X-Api-Key, or else ?api_key= (or a WebSocket auth frame). */
  key?: string;
  /** The Authorization: Bearer value. */
  bearer?: string;
  /** The bearer value is meant as an API key (hlt_ prefix). */
  bearerIsKey: boolean;
  /** X-Admin-Token. */
  adminToken?: string;
}

const unauthorized = (message: string, credential?: "api_key" | "jwt" | "admin_token") =>
  new AppError("unauthorized", message, credential ? { details: { credential } } : {});

const KEY_HOWTO = "send it as X-Api-Key: hlt_… (or Authorization: Bearer hlt_…, or ?api_key=hlt_…)";
const JWT_HOWTO = "send Authorization: Bearer <token from POST /api/v1/auth/login>";

/**
 * Authenticates an API key: format, lookup, revocation, expiry, enabled flag, IP allowlist. `ip`
 * may be a function: the client address is then looked up only for keys that have an allowlist.
 */
export function authenticateKey(
  identity: Identity,
  creds: Credentials,
  ip: string | null | (() => string | null),
  cls: "apiKey" | "keyOrJwt",
): Maybe<KeyPrincipal> {
  const raw = creds.key ?? (creds.bearerIsKey ? creds.bearer : undefined);
  if (raw === undefined) {
    if (cls === "apiKey" && creds.bearer !== undefined && looksLikeJwt(creds.bearer)) {
      throw unauthorized(`this endpoint takes an API key, not a JWT: ${KEY_HOWTO}`, "api_key");
    }
    throw unauthorized(`missing API key: ${KEY_HOWTO}`, "api_key");
  }
  if (!isApiKeyFormat(raw)) throw unauthorized("malformed API key: expected hlt_ followed by 48 lowercase hex characters", "api_key");
  // Answered at once when the directory holds the key; a bad key throws here, or rejects after a lookup.
  return andThen(identity.directory.lookup(hashApiKey(raw)), (found) => keyPrincipal(identity, found, ip));
}

/** The checks after the lookup. The directory only returns a record whose stored hash is the key's (checked when it is loaded). */
function keyPrincipal(identity: Identity, found: ResolvedKey | null, ip: string | null | (() => string | null)): KeyPrincipal {
  if (!found) throw unauthorized("invalid API key", "api_key");
  const k = found.key;
  if (k.revokedAt !== null) throw unauthorized("this API key has been revoked", "api_key");
  const now = identity.clock.now();
  if (k.expiresAt !== null && k.expiresAt <= now) throw new AppError("forbidden", `this API key expired at ${new Date(k.expiresAt).toISOString()}`);
  if (!k.enabled) throw new AppError("forbidden", "this API key is disabled");
  if (found.allows) {
    const from = typeof ip === "function" ? ip() : ip;
    if (!found.allows(from)) throw new AppError("forbidden", `this API key is not allowed from ${from ?? "an unknown address"}`);
  }
  // A plan downgraded below the key's tier caps the key too: a key never outranks its account.
  const tier: TierId = tierRank(k.tier) <= tierRank(found.plan) ? k.tier : found.plan;
  return { kind: "key", keyId: k.id, userId: k.userId, tier, plan: found.plan };
}

/** Authenticates a JWT and loads its account (a deleted account's tokens die with it). */
export async function authenticateJwt(identity: Identity, creds: Credentials, cls: "jwt" | "keyOrJwt"): Promise<UserPrincipal> {
  if (creds.key !== undefined || creds.bearerIsKey) throw unauthorized(`this endpoint takes a JWT, not an API key: ${JWT_HOWTO}`, "jwt");
  if (creds.bearer === undefined) {
    throw cls === "jwt"
      ? unauthorized(`missing token: ${JWT_HOWTO}`, "jwt")
      : unauthorized("missing credentials: send an API key (X-Api-Key: hlt_…) or a JWT (Authorization: Bearer …)");
  }
  const verified = identity.jwt.verify(creds.bearer, identity.clock.now());
  const user = verified.ok ? await identity.accounts.user(verified.claims.sub) : null;
  if (!user) throw unauthorized("invalid or expired token", "jwt");
  return { kind: "user", userId: user.id, plan: user.plan };
}

/** Checks the operator token in constant time (both sides hashed first, so lengths never leak). */
export function authenticateAdmin(identity: Identity, creds: Credentials): AdminPrincipal {
  const expected = identity.adminToken;
  if (!expected) throw new AppError("not_found", "no such route");
  const given = creds.adminToken ?? creds.bearer ?? "";
  const digest = (s: string) => new Bun.CryptoHasher("sha256").update(s).digest();
  if (!timingSafeEqual(digest(given), digest(expected))) throw unauthorized("invalid admin token", "admin_token");
  return { kind: "admin" };
}
