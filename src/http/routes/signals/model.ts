/**
 * Schemas of the signals group (alert rules, their deliveries and backtests), and the one mapping
 * from a stored signal to what clients see: never a webhook secret, only its last four characters.
 */
import { t } from "elysia";
import { SIGNAL_FIELDS, SIGNAL_OPS } from "../../../domain/signals/rule";
import type { DeliveryAttemptRecord, DeliveryRecord, SignalRecord } from "../../../store/signals.port";
import { authErrors, commonErrors, Envelope, ErrorEnvelope } from "../../envelope";
import { limitQuery, offsetQuery, timeQuery } from "../params";

/** Bounds the routes enforce (documented in docs/signals.md). */
export const SIGNAL_LIMITS = Object.freeze({
  nameMax: 200,
  conditionsMax: 10,
  channelsMax: 5,
  secretMin: 16,
  secretMax: 256,
  urlMax: 2048,
  cooldownMax: 86_400,
  cooldownDefault: 60,
  listDefault: 50,
  listMax: 200,
  /** Longest backtest range. */
  backtestMaxMs: 7 * 86_400_000,
  /** Firings returned by one backtest (the count goes on). */
  backtestMaxFirings: 1_000,
  /** Firings a dry run sends as test events, and the pace bounds between two of them. */
  dryRunMaxDeliveries: 100,
  paceMinMs: 0,
  paceMaxMs: 60_000,
  paceDefaultMs: 1_000,
  /** Attempts shown per delivery in …/deliveries (newest first). */
  attemptsShown: 10,
});

const fieldList = SIGNAL_FIELDS.join(", ");
const opList = SIGNAL_OPS.join(", ");

export const ConditionSchema = t.Object({
  field: t.Union(SIGNAL_FIELDS.map((f) => t.Literal(f)), { description: `One of: ${fieldList} (each defined in docs/signals.md).` }),
  op: t.Union(SIGNAL_OPS.map((o) => t.Literal(o)), { description: `One of: ${opList}.` }),
  value: t.Union([t.Number(), t.String({ maxLength: 64 })], { description: "Threshold: a JSON number or a decimal string (compared in fixed point)." }),
});

export const RuleSchema = t.Object({
  conditions: t.Array(ConditionSchema, { minItems: 1, maxItems: SIGNAL_LIMITS.conditionsMax, description: `1 to ${SIGNAL_LIMITS.conditionsMax} conditions.` }),
  logic: t.Optional(t.Union([t.Literal("AND"), t.Literal("OR")], { description: "AND (every condition holds; default) or OR (any one does)." })),
});

export const ChannelInput = t.Object({
  type: t.Literal("webhook"),
  url: t.String({ minLength: 1, maxLength: SIGNAL_LIMITS.urlMax, description: "https:// URL receiving POSTs (http:// only where the operator allows it). Checked against the SSRF policy now and at every delivery." }),
  secret: t.String({
    minLength: SIGNAL_LIMITS.secretMin, maxLength: SIGNAL_LIMITS.secretMax,
    description: `HMAC key, ${SIGNAL_LIMITS.secretMin} to ${SIGNAL_LIMITS.secretMax} characters; its UTF-8 bytes sign every request. Never returned.`,
  }),
});

const channels = t.Array(ChannelInput, { minItems: 1, maxItems: SIGNAL_LIMITS.channelsMax, description: `1 to ${SIGNAL_LIMITS.channelsMax} webhook channels.` });
// At least 1 s: firings are keyed by (signal, event millisecond) in the outbox, and a webhook per
// trade is not an alert.
const cooldown = t.Integer({ minimum: 1, maximum: SIGNAL_LIMITS.cooldownMax, description: `Seconds after a firing during which the rule does not fire again (1 to ${SIGNAL_LIMITS.cooldownMax}; default ${SIGNAL_LIMITS.cooldownDefault}).` });
const name = t.String({ minLength: 1, maxLength: SIGNAL_LIMITS.nameMax });

export const CreateSignalBody = t.Object({
  name,
  market_id: t.Integer({ minimum: 0, description: "Market the rule watches (must be listed by the venue)." }),
  rule_definition: RuleSchema,
  delivery_channels: channels,
  cooldown_secs: t.Optional(cooldown),
  enabled: t.Optional(t.Boolean({ description: "Default true; false stores the rule without evaluating it." })),
});

export const PatchSignalBody = t.Object({
  name: t.Optional(name),
  market_id: t.Optional(t.Integer({ minimum: 0 })),
  rule_definition: t.Optional(RuleSchema),
  delivery_channels: t.Optional(channels),
  cooldown_secs: t.Optional(cooldown),
  enabled: t.Optional(t.Boolean()),
});

export const SignalIdParams = t.Object({ signal_id: t.String({ maxLength: 64, description: "Signal id (sig_…)." }) });
export const ListQuery = t.Object({ limit: t.Optional(limitQuery(SIGNAL_LIMITS.listDefault, SIGNAL_LIMITS.listMax)), offset: t.Optional(offsetQuery()) });

const range = {
  start: timeQuery("Range start (inclusive)."),
  end: t.Optional(timeQuery(`Range end (exclusive; default now). At most ${SIGNAL_LIMITS.backtestMaxMs / 86_400_000} days after start.`)),
};
export const BacktestQuery = t.Object({
  ...range,
  deliver: t.Optional(t.Literal("dry_run", { description: "dry_run: also send each firing (first " + SIGNAL_LIMITS.dryRunMaxDeliveries + ") to the signal's webhooks as a test event." })),
  pace_ms: t.Optional(t.Integer({ minimum: SIGNAL_LIMITS.paceMinMs, maximum: SIGNAL_LIMITS.paceMaxMs, description: `Dry run: time between two sent events (default ${SIGNAL_LIMITS.paceDefaultMs} ms).` })),
});
export const BacktestBody = t.Object({
  market_id: t.Integer({ minimum: 0 }),
  rule_definition: RuleSchema,
  cooldown_secs: t.Optional(cooldown),
  start: t.Union([t.Integer(), t.String()], { description: "Range start: ms since the epoch or ISO-8601." }),
  end: t.Optional(t.Union([t.Integer(), t.String()], { description: "Range end (default now): ms since the epoch or ISO-8601." })),
});

export const ChannelView = t.Object({
  type: t.Literal("webhook"),
  url: t.String(),
  disabled_at: t.Nullable(t.Integer({ description: "ms epoch at which the receiver answered 410 Gone (no more deliveries); null = active." })),
});

export const SignalView = t.Object({
  id: t.String(),
  name: t.String(),
  market_id: t.Integer(),
  rule_definition: t.Object({ conditions: t.Array(t.Object({ field: t.String(), op: t.String(), value: t.Union([t.Number(), t.String()]) })), logic: t.String() }),
  delivery_channels: t.Array(ChannelView),
  cooldown_secs: t.Integer(),
  enabled: t.Boolean(),
  created_at: t.Integer(),
  updated_at: t.Integer(),
  last_fired_at: t.Nullable(t.Integer()),
});

/** What clients see of a signal. */
export const signalView = (s: SignalRecord) => ({
  id: s.id, name: s.name, market_id: s.marketId,
  rule_definition: { conditions: s.rule.conditions.map((c) => ({ field: c.field, op: c.op, value: c.value })), logic: s.rule.logic },
  delivery_channels: s.channels.map((c) => ({ type: c.type, url: c.url, disabled_at: c.disabledAt })),
  cooldown_secs: s.cooldownSecs, enabled: s.enabled, created_at: s.createdAt, updated_at: s.updatedAt, last_fired_at: s.lastFiredAt,
});

export const DeliveryView = t.Object({
  id: t.String({ description: "The webhook-id header: the same on every retry (deduplicate on it)." }),
  channel: t.Integer({ description: "Index of the channel in delivery_channels at firing time." }),
  url: t.String(),
  test: t.Boolean({ description: "A test event (POST …/test or a backtest dry run)." }),
  status: t.Union([t.Literal("pending"), t.Literal("delivered"), t.Literal("failed"), t.Literal("cancelled")]),
  attempts: t.Integer(),
  created_at: t.Integer(),
  next_attempt_at: t.Nullable(t.Integer()),
  delivered_at: t.Nullable(t.Integer()),
  last_status: t.Nullable(t.Integer({ description: "HTTP status of the last attempt; null: no response (timeout, refused, blocked by policy)." })),
  last_error: t.Nullable(t.String()),
  payload: t.Unknown({ description: "The JSON body sent on every attempt." }),
  attempt_history: t.Array(
    t.Object({
      attempt: t.Integer({ description: "1, 2, 3…" }),
      at: t.Integer({ description: "When it started (ms)." }),
      duration_ms: t.Integer(),
      http_status: t.Nullable(t.Integer()),
      error: t.Nullable(t.String()),
      outcome: t.Union([t.Literal("delivered"), t.Literal("retry"), t.Literal("failed"), t.Literal("cancelled")]),
    }),
    { description: `The latest attempts, newest first (at most ${SIGNAL_LIMITS.attemptsShown}).` },
  ),
});

/** What clients see of one delivery. */
export const deliveryView = (d: DeliveryRecord & { history: DeliveryAttemptRecord[] }) => ({
  id: d.id, channel: d.channel, url: d.url, test: d.test, status: d.status, attempts: d.attempts, created_at: d.createdAt,
  next_attempt_at: d.nextAttemptAt, delivered_at: d.deliveredAt, last_status: d.lastStatus, last_error: d.lastError, payload: JSON.parse(d.body) as unknown,
  attempt_history: d.history.map((a) => ({ attempt: a.attempt, at: a.at, duration_ms: a.durationMs, http_status: a.httpStatus, error: a.error, outcome: a.outcome })),
});

export const FiringView = t.Object({
  ts: t.Integer({ description: "Time of the market event that made the rule true (ms)." }),
  values: t.Record(t.String(), t.String(), { description: "Value of every field the rule names at that moment (decimal strings)." }),
});

export const BacktestData = t.Object({
  market_id: t.Integer(),
  start: t.Integer(),
  end: t.Integer(),
  count: t.Integer({ description: "Every firing in the range (also those beyond the returned list)." }),
  firings: t.Array(FiringView, { description: `Firings, oldest first; at most ${SIGNAL_LIMITS.backtestMaxFirings}.` }),
  truncated: t.Boolean({ description: "True when count exceeds the returned firings." }),
  scanned: t.Object(
    { trades: t.Integer(), book_snapshots: t.Integer(), funding: t.Integer(), heatmap_totals: t.Integer() },
    { description: "Stored rows replayed through the rule, per kind (only the kinds the rule's fields come from are read)." },
  ),
  dry_run: t.Optional(t.Object({ delivery_ids: t.Array(t.String()), pace_ms: t.Integer() }, { description: "Present with deliver=dry_run: the test deliveries queued, in firing order." })),
});

/** keyOrJwt routes: 401/402/403/429/503 from auth and metering; 403 also for the tier's signal limit. */
const errors = { ...commonErrors, ...authErrors };
export const createResponses = { 201: Envelope(SignalView), ...errors };
export const signalResponses = { 200: Envelope(SignalView), ...errors };
export const listResponses = { 200: Envelope(t.Object({ signals: t.Array(SignalView) })), ...errors };
export const deleteResponses = { 200: Envelope(t.Object({ id: t.String(), deleted: t.Literal(true) })), ...errors };
export const deliveriesResponses = { 200: Envelope(t.Object({ deliveries: t.Array(DeliveryView) })), ...errors };
export const testResponses = { 202: Envelope(t.Object({ delivery_ids: t.Array(t.String()) })), ...errors, 409: ErrorEnvelope };
export const backtestResponses = { 200: Envelope(BacktestData), ...errors };
