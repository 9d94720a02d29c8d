/**
 * How the gateway admits a connection: the key is authenticated through a small port (wired to the
 * identity runtime's key check, the same one the REST routes use), then the account takes one of
 * its plan's concurrent-connection slots. Refusals keep the REST codes: unknown or revoked key →
 * unauthorized; expired, disabled, wrong address or too many connections → forbidden.
 */
import { tier } from "../domain/tiers";
import { AppError, toAppError } from "../lib/errors";
import type { Logger } from "../lib/log";
import type { Identity } from "../identity";
import { authenticateKey } from "../http/plugins/credentials";
import type { ConnectionQuota } from "./connection-quota";
import type { AdmitResult, Principal } from "./connection/connection.events";

/** What may have changed about keys: one key, every key of an account, or any key. */
export type KeyChange = { keyId: string } | { userId: string } | { all: true };

/** Checks an API key presented in an auth frame, and keys of open connections after a change. */
export interface WsAuthenticator {
  /** The key's principal, or the AppError that refuses it. */
  authenticate(apiKey: string, ip: string | null): Promise<Principal | AppError>;
  /** Whether an admitted key still holds (revoked → unauthorized; expired or disabled → forbidden). */
  recheck(principal: Principal): Promise<AppError | null>;
  /** Calls `fn` whenever keys may have changed, on any node (revoke, disable, plan change). */
  onChange(fn: (change: KeyChange) => void): void;
}

/** The identity runtime's key check (lookup cache, revocation, expiry, enabled flag, IP allowlist). */
export function identityAuthenticator(identity: Identity): WsAuthenticator {
  return {
    async authenticate(apiKey, ip) {
      try {
        const p = await authenticateKey(identity, { key: apiKey, bearerIsKey: false }, ip, "apiKey");
        return { keyId: p.keyId, userId: p.userId, tier: p.tier, plan: p.plan };
      } catch (err) {
        if (err instanceof AppError) return err;
        throw err;
      }
    },
    async recheck(p) {
      const k = await identity.store.keyById(p.keyId);
      if (!k || k.revokedAt !== null) return new AppError("unauthorized", "this API key has been revoked");
      if (k.expiresAt !== null && k.expiresAt <= identity.clock.now()) return new AppError("forbidden", `this API key expired at ${new Date(k.expiresAt).toISOString()}`);
      if (!k.enabled) return new AppError("forbidden", "this API key is disabled");
      return null;
    },
    onChange: (fn) => identity.bus.subscribe(fn),
  };
}

/** One admission: its outcome and, when admitted, how to give the slot back. */
export interface Admission {
  result: AdmitResult;
  release?: () => Promise<void>;
}

/** Authenticates, then takes a connection slot of the account. */
export type Admit = (apiKey: string, conn: { connectionId: string; ip: string | null }) => Promise<Admission>;

/**
 * Builds the admission step. When the slot store is unreachable (Redis down) the connection is
 * admitted anyway and the failure logged: the count degrades, clients keep streaming.
 */
export function createAdmission(deps: { authenticator: WsAuthenticator; quota: ConnectionQuota; log: Logger }): Admit {
  let quotaFailing = false;
  return async (apiKey, conn) => {
    const principal = await deps.authenticator.authenticate(apiKey, conn.ip);
    if (principal instanceof AppError) return { result: { ok: false, code: principal.code, message: principal.message } };
    const limit = tier(principal.plan).wsConnections;
    let acquired: boolean;
    try {
      acquired = await deps.quota.acquire(principal.userId, conn.connectionId, limit);
      if (quotaFailing) deps.log.info("ws connection quota recovered");
      quotaFailing = false;
    } catch (err) {
      if (!quotaFailing) deps.log.warn("ws connection quota unavailable; admitting without counting", { err: toAppError(err).cause ?? err });
      quotaFailing = true;
      return { result: { ok: true, principal } };
    }
    if (!acquired) {
      return { result: { ok: false, code: "forbidden", message: `connection limit reached: the ${tier(principal.plan).name} plan allows ${limit} concurrent WebSocket connection${limit === 1 ? "" : "s"}` } };
    }
    return { result: { ok: true, principal }, release: () => deps.quota.release(principal.userId, conn.connectionId) };
  };
}
