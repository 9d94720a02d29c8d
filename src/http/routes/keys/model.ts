/**
 * Schemas of the key-management group, and the one mapping from a stored key to what clients see:
 * prefix, name, tier, allowed IPs, dates — never the key or its hash.
 */
import { t } from "elysia";
import { TIER_IDS } from "../../../domain/tiers";
import { parseTimeParam } from "../../../domain/time";
import { badRequest } from "../../../lib/errors";
import type { ApiKeyRecord, UsageRow } from "../../../store/ports";
import { authErrors, commonErrors, Envelope } from "../../envelope";
import { KEY_LIMITS } from "../../../identity/keys.service";

/** A plan or key tier. */
export const TierSchema = t.Union([t.Literal("free"), t.Literal("starter"), t.Literal("growth"), t.Literal("scale"), t.Literal("enterprise")], {
  description: `One of: ${TIER_IDS.join(", ")}.`,
});

const Time = (description: string) => t.Union([t.Integer(), t.String()], { description: `${description} ms since the epoch or ISO-8601.` });

export const KeyView = t.Object({
  id: t.String({ description: "Key id (key_…): how the key is addressed in this API." }),
  prefix: t.String({ description: "First characters of the key (hlt_ + 8 hex), to recognise it. The full key is shown only once, at creation." }),
  name: t.String(),
  tier: TierSchema,
  allowed_ips: t.Nullable(t.Array(t.String()), { description: "IPv4/IPv6 addresses and CIDR blocks allowed to use the key; null = any." }),
  expires_at: t.Nullable(t.Integer({ description: "ms epoch; null = never." })),
  enabled: t.Boolean(),
  created_at: t.Integer(),
  last_used_at: t.Nullable(t.Integer({ description: "ms epoch of the latest request (updated about every second)." })),
  revoked_at: t.Nullable(t.Integer()),
});

/** What clients see of a key. */
export const keyView = (k: ApiKeyRecord) => ({
  id: k.id, prefix: k.prefix, name: k.name, tier: k.tier, allowed_ips: k.allowedIps, expires_at: k.expiresAt,
  enabled: k.enabled, created_at: k.createdAt, last_used_at: k.lastUsedAt, revoked_at: k.revokedAt,
});

const keyFields = {
  name: t.Optional(t.String({ maxLength: 200, description: `1 to ${KEY_LIMITS.nameMax} characters.` })),
  tier: t.Optional(TierSchema),
  allowed_ips: t.Optional(t.Nullable(t.Array(t.String({ maxLength: 64 }), { maxItems: KEY_LIMITS.maxAllowedIps, description: "Addresses or CIDR blocks (e.g. 203.0.113.7, 10.0.0.0/8, 2001:db8::/32); null = any address." }))),
  expires_at: t.Optional(t.Nullable(Time("When the key stops working (403 after it);"))),
};

export const CreateKeyBody = t.Object({ ...keyFields, name: t.String({ maxLength: 200, description: `1 to ${KEY_LIMITS.nameMax} characters.` }) });
export const PatchKeyBody = t.Object({ ...keyFields, enabled: t.Optional(t.Boolean({ description: "false: the key answers 403 until enabled again." })) });
export const KeyIdParams = t.Object({ key_id: t.String({ maxLength: 64 }) });
export const UsageQuery = t.Object({
  start: t.Optional(t.String({ description: "Range start (floored to the hour), ms epoch or ISO-8601. Default: end − 24 h." })),
  end: t.Optional(t.String({ description: "Range end (ceiled to the hour), ms epoch or ISO-8601. Default: now. At most 31 days." })),
});

/** Parses a time field of a body or query: null stays null, anything unparseable is a 400 naming it. */
export function parseTimeField(where: "body" | "query", field: string, value: string | number | null | undefined): number | null | undefined {
  if (value === undefined || value === null) return value;
  const ms = parseTimeParam(value);
  if (ms === null) throw badRequest(`${where === "body" ? "body field" : "query parameter"} '${field}' must be a time (ms since the epoch or ISO-8601)`, { in: where, field });
  return ms;
}

export const CreatedKey = t.Object({
  api_key: t.String({ description: "The full key (hlt_ + 48 hex). Shown exactly once: only its SHA-256 is stored." }),
  key: KeyView,
});

export const UsageRowSchema = t.Object({
  hour: t.Integer({ description: "Start of the UTC hour, ms epoch." }),
  requests: t.Integer(),
  credits: t.Integer(),
  errors: t.Integer({ description: "Responses with status ≥ 400." }),
});
/** One hour of usage as clients see it. */
export const usageView = (r: UsageRow) => ({ hour: r.hour, requests: r.requests, credits: r.credits, errors: r.errors });

export const UsageData = t.Object({
  key_id: t.String(),
  start: t.Integer(),
  end: t.Integer(),
  hours: t.Array(UsageRowSchema, { description: "Hours with traffic, oldest first." }),
  totals: t.Object({ requests: t.Integer(), credits: t.Integer(), errors: t.Integer() }),
});

/** JWT routes: no credits (no 402); 403 for a tier above the plan or the key limit. */
const errors = { ...commonErrors, 401: authErrors[401], 403: authErrors[403], 429: authErrors[429] };
export const createResponses = { 201: Envelope(CreatedKey), ...errors };
export const listResponses = { 200: Envelope(t.Object({ keys: t.Array(KeyView) })), ...errors };
export const keyResponses = { 200: Envelope(KeyView), ...errors };
export const usageResponses = { 200: Envelope(UsageData), ...errors };
