/**
 * API key management for a signed-in user, framework-free: create (the key is returned once),
 * list, change, revoke and hourly usage. A user only ever reaches their own keys: another user's
 * key id is answered exactly like an unknown one (404). Changes and revocations are published on
 * the invalidation bus, so every node stops honouring the old record at once.
 */
import { tierWithinPlan, type TierId } from "../domain/tiers";
import type { Clock } from "../lib/clock";
import { AppError, badRequest, notFound } from "../lib/errors";
import { parseIpBlock } from "../lib/ip";
import type { Logger } from "../lib/log";
import type { ApiKeyPatch, ApiKeyRecord, IdentityStore, UsageRow, UserRecord } from "../store/ports";
import { generateApiKey, newKeyId } from "./api-key";
import type { InvalidationBus } from "./invalidation";
import type { UsageRecorder } from "./usage-recorder";

/** Limits on key fields and counts (chosen; see docs/tiers.md). */
export const KEY_LIMITS = Object.freeze({ maxActiveKeys: 50, nameMax: 64, maxAllowedIps: 100, maxUsageRangeMs: 31 * 86_400_000 });
const HOUR_MS = 3_600_000;

/** The fields a client may set on a key. */
export interface KeyInput {
  name?: string;
  tier?: TierId;
  allowedIps?: string[] | null;
  expiresAt?: number | null;
  enabled?: boolean;
}

/** What the key service needs. */
export interface KeysDeps {
  store: IdentityStore;
  clock: Clock;
  log: Logger;
  bus: InvalidationBus;
  usage: UsageRecorder;
}

/** Validates the fields of a create or a patch; 400/403 naming the field. */
function checkInput(input: KeyInput, plan: TierId, now: number): ApiKeyPatch {
  const patch: ApiKeyPatch = {};
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (name.length < 1 || name.length > KEY_LIMITS.nameMax) throw badRequest(`body field 'name' must be 1 to ${KEY_LIMITS.nameMax} characters`, { in: "body", field: "name" });
    patch.name = name;
  }
  if (input.tier !== undefined) {
    if (!tierWithinPlan(input.tier, plan)) {
      throw new AppError("forbidden", `tier '${input.tier}' is above your plan '${plan}': a key's tier can be at most the account's plan`, { details: { field: "tier", plan } });
    }
    patch.tier = input.tier;
  }
  if (input.allowedIps !== undefined) {
    if (input.allowedIps !== null) {
      if (input.allowedIps.length > KEY_LIMITS.maxAllowedIps) throw badRequest(`body field 'allowed_ips' may hold at most ${KEY_LIMITS.maxAllowedIps} entries`, { in: "body", field: "allowed_ips" });
      input.allowedIps.forEach((entry, i) => {
        const parsed = parseIpBlock(entry);
        if ("error" in parsed) throw badRequest(`body field 'allowed_ips.${i}' ('${entry.slice(0, 64)}') ${parsed.error}`, { in: "body", field: `allowed_ips.${i}` });
      });
    }
    // An empty list would lock the key out for good; null (any address) is how to lift a restriction.
    if (input.allowedIps !== null && input.allowedIps.length === 0) throw badRequest("body field 'allowed_ips' must not be empty: send null to allow any address", { in: "body", field: "allowed_ips" });
    patch.allowedIps = input.allowedIps === null ? null : input.allowedIps.map((s) => s.trim().toLowerCase());
  }
  if (input.expiresAt !== undefined) {
    if (input.expiresAt !== null && input.expiresAt <= now) throw badRequest("body field 'expires_at' must be in the future", { in: "body", field: "expires_at" });
    patch.expiresAt = input.expiresAt;
  }
  if (input.enabled !== undefined) patch.enabled = input.enabled;
  return patch;
}

/** Key management for one user at a time. */
export class KeysService {
  constructor(private readonly deps: KeysDeps) {}

  /** Creates a key for `user`; the full key is in the result and nowhere else. */
  async create(user: Pick<UserRecord, "id" | "plan">, input: KeyInput): Promise<{ record: ApiKeyRecord; key: string }> {
    const now = this.deps.clock.now();
    const patch = checkInput({ ...input, name: input.name ?? "default" }, user.plan, now);
    if ((await this.deps.store.countActiveKeys(user.id)) >= KEY_LIMITS.maxActiveKeys) {
      throw new AppError("forbidden", `key limit reached: an account may hold ${KEY_LIMITS.maxActiveKeys} active keys; revoke one first`);
    }
    const { key, hash, prefix } = generateApiKey();
    const record: ApiKeyRecord = {
      id: newKeyId(), userId: user.id, hash, prefix, name: patch.name ?? "default", tier: patch.tier ?? user.plan,
      allowedIps: patch.allowedIps ?? null, expiresAt: patch.expiresAt ?? null, enabled: patch.enabled ?? true,
      createdAt: now, revokedAt: null, lastUsedAt: null,
    };
    await this.deps.store.createKey(record);
    this.deps.log.info("key.created", { user_id: user.id, key_id: record.id, prefix, tier: record.tier });
    return { record, key };
  }

  /** The user's active keys, oldest first. */
  list(userId: string): Promise<ApiKeyRecord[]> {
    return this.deps.store.listKeys(userId);
  }

  /** Applies a change to one of the user's active keys. */
  async update(user: Pick<UserRecord, "id" | "plan">, keyId: string, input: KeyInput): Promise<ApiKeyRecord> {
    await this.own(user.id, keyId, { active: true });
    const updated = await this.deps.store.updateKey(keyId, checkInput(input, user.plan, this.deps.clock.now()));
    if (!updated) throw notFound(`no API key '${keyId}'`);
    await this.deps.bus.publish({ keyId });
    this.deps.log.info("key.updated", { user_id: user.id, key_id: keyId, fields: Object.keys(input) });
    return updated;
  }

  /** Revokes one of the user's keys at once, on every node. */
  async revoke(userId: string, keyId: string): Promise<ApiKeyRecord> {
    await this.own(userId, keyId, { active: true });
    const revoked = await this.deps.store.revokeKey(keyId, this.deps.clock.now());
    if (!revoked) throw notFound(`no API key '${keyId}'`);
    await this.deps.bus.publish({ keyId });
    this.deps.log.info("key.revoked", { user_id: userId, key_id: keyId });
    return revoked;
  }

  /** Hourly usage of one of the user's keys (revoked ones too) in [start, end), hour-aligned. */
  async usage(userId: string, keyId: string, range: { start?: number; end?: number }): Promise<{ key: ApiKeyRecord; start: number; end: number; hours: UsageRow[] }> {
    const key = await this.own(userId, keyId, { active: false });
    const now = this.deps.clock.now();
    const end = Math.ceil((range.end ?? now + 1) / HOUR_MS) * HOUR_MS;
    const start = Math.floor((range.start ?? end - 24 * HOUR_MS) / HOUR_MS) * HOUR_MS;
    if (start >= end) throw badRequest("query parameter 'start' must be before 'end'", { in: "query", field: "start" });
    if (end - start > KEY_LIMITS.maxUsageRangeMs) throw badRequest("the usage range may span at most 31 days", { in: "query", field: "start" });
    // Read-your-writes on this node: counts still in memory are written first.
    await this.deps.usage.flush();
    return { key, start, end, hours: await this.deps.store.usage({ keyId, start, end }) };
  }

  /** The key if it belongs to the user; otherwise the same 404 as for an unknown id. */
  private async own(userId: string, keyId: string, opts: { active: boolean }): Promise<ApiKeyRecord> {
    const key = await this.deps.store.keyById(keyId);
    if (!key || key.userId !== userId || (opts.active && key.revokedAt !== null)) throw notFound(`no API key '${keyId}'`);
    return key;
  }
}
