/**
 * The signals aggregate's port: alert rules owned by our users, and the durable webhook outbox
 * (one delivery row per firing and channel, with its attempts). Adapters:
 * sqlite/signals.sqlite.ts, postgres/signals.postgres.ts; both pass signals.contract.ts.
 *
 * The outbox is what makes delivery at-least-once with a stable id: a firing is committed (its
 * delivery rows carry their final `webhook-id`) before anything is sent; a worker claims due rows
 * with a lease, so two workers never send the same attempt, and a crashed worker's lease expires.
 */
import type { SignalFiring, SignalRule } from "../domain/signals/rule.ts";
import type { Page, Paged } from "./ports.ts";

/** A webhook channel as stored; the secret never leaves the server once created. */
export interface WebhookChannelRecord {
  type: "webhook";
  url: string;
  secret: string;
  /** Set when the receiver answered 410 Gone: the channel gets no more deliveries. */
  disabledAt: number | null;
}

export interface SignalRecord {
  /** "sig_" + 24 hex. */
  id: string;
  userId: string;
  name: string;
  venue: string;
  marketId: number;
  rule: SignalRule;
  channels: WebhookChannelRecord[];
  cooldownSecs: number;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
  lastFiredAt: number | null;
}

export interface NewSignal {
  userId: string;
  name: string;
  venue: string;
  marketId: number;
  rule: SignalRule;
  channels: Array<Omit<WebhookChannelRecord, "disabledAt">>;
  cooldownSecs: number;
  enabled: boolean;
}

/** A change to a signal: absent fields stay; `channels` replaces the list. */
export interface SignalPatch {
  name?: string;
  marketId?: number;
  rule?: SignalRule;
  channels?: Array<Omit<WebhookChannelRecord, "disabledAt">>;
  cooldownSecs?: number;
  enabled?: boolean;
}

export type DeliveryStatus = "pending" | "delivered" | "failed" | "cancelled";

/** One webhook delivery: one firing (or test event) to one channel. */
export interface DeliveryRecord {
  /** The Standard Webhooks `webhook-id` ("msg_" + 24 hex): the same across every retry. */
  id: string;
  signalId: string;
  userId: string;
  /** Index of the channel in the signal's list at firing time. */
  channel: number;
  url: string;
  /** The exact JSON body sent on every attempt. */
  body: string;
  /** A test event (POST …/test, backtest dry run) rather than a live firing. */
  test: boolean;
  status: DeliveryStatus;
  attempts: number;
  createdAt: number;
  /** The firing's market-event time (ms); null for a test event. With signalId, the idempotency key of a firing. */
  firedAt: number | null;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: number | null;
  deliveredAt: number | null;
  /** HTTP status of the last attempt (null: no response: timeout, refused, SSRF…). */
  lastStatus: number | null;
  lastError: string | null;
}

/** The outcome of one attempt, recorded by the worker that holds the claim. */
export interface AttemptResult {
  at: number;
  durationMs: number;
  httpStatus: number | null;
  error: string | null;
  /** What the row becomes: delivered, retried at `nextAttemptAt`, or ended. */
  outcome: "delivered" | "retry" | "failed" | "cancelled";
  nextAttemptAt?: number;
  /** Receiver answered 410: disable this channel of the signal as well. */
  disableChannel?: boolean;
}

/** One attempt at a delivery, as the worker that made it recorded it. */
export interface DeliveryAttemptRecord {
  deliveryId: string;
  /** 1, 2, 3… */
  attempt: number;
  at: number;
  durationMs: number;
  httpStatus: number | null;
  error: string | null;
  outcome: AttemptResult["outcome"];
}

/** One firing of a batch written by `recordFirings`: the firing and its delivery rows (final ids and bodies). */
export interface FiringWrite {
  firing: SignalFiring;
  deliveries: Array<{ id: string; channel: number; url: string; body: string }>;
}

/** A signal changed at `updatedAt` (created, updated, disabled, deleted, a channel disabled by a 410). */
export interface SignalChange {
  id: string;
  updatedAt: number;
  /** The signal as it is now; null when it was deleted or is disabled (the engine drops its actor). */
  signal: SignalRecord | null;
}

/** The outbox backlog: pending deliveries (claimed ones included) and the earliest `nextAttemptAt` among them. */
export interface OutboxStats {
  pending: number;
  /** Null when nothing is pending. Earlier than now: the worker is behind by that much. */
  oldestDueAt: number | null;
}

/** What one pruning batch deleted. */
export interface PruneResult {
  deliveries: number;
  attempts: number;
  /** Signal tombstones (deleted signals) removed. */
  signals: number;
}

/**
 * Thrown by `create` when the user already has `maxPerUser` live signals. The count and the insert
 * are one atomic step in the store, so two creates racing at the limit cannot both succeed.
 */
export class SignalLimitError extends Error {
  constructor(readonly limit: number) {
    super(`signal limit of ${limit} per account reached`);
    this.name = "SignalLimitError";
  }
}

export interface SignalsStore {
  /**
   * Creates a signal. With `limit.maxPerUser` (a plan's limit; null or absent: none), counting the
   * user's live signals and inserting are one transaction serialised per user (SQLite: BEGIN
   * IMMEDIATE; PostgreSQL: a per-user advisory transaction lock); at the limit it throws
   * SignalLimitError and writes nothing.
   */
  create(s: NewSignal, now: number, limit?: { maxPerUser?: number | null }): Promise<SignalRecord>;
  /** Owner-scoped: another user's signal is null. */
  get(userId: string, id: string): Promise<SignalRecord | null>;
  list(userId: string, page: Page): Promise<Paged<SignalRecord>>;
  count(userId: string): Promise<number>;
  update(userId: string, id: string, patch: SignalPatch, now: number): Promise<SignalRecord | null>;
  /**
   * Deletes the signal and cancels its pending deliveries; false if not found. The row stays as a
   * tombstone (channels and their secrets erased) for `changesSince`; every other read skips it.
   */
  delete(userId: string, id: string, now: number): Promise<boolean>;
  /** Every enabled signal (the engine's boot list), oldest first. */
  listEnabled(): Promise<SignalRecord[]>;
  /** A live signal by id whoever owns it (the engine and worker); null once deleted. */
  byId(id: string): Promise<SignalRecord | null>;
  /** Live signals among `ids` whoever owns them, in one read (deleted and unknown ids are absent); any order. */
  byIds(ids: readonly string[]): Promise<SignalRecord[]>;

  /**
   * Writes a firing to the outbox atomically: one pending delivery per enabled channel, due now, and
   * the signal's `lastFiredAt`. Idempotent on (signalId, firing.ts): a second call returns the rows of the first.
   * The stored signal decides which channels are enabled: a delivery for a channel disabled (410)
   * since the caller read the signal is dropped; a deleted signal gets no rows ([]).
   */
  recordFiring(firing: SignalFiring, deliveries: FiringWrite["deliveries"], now: number): Promise<DeliveryRecord[]>;
  /**
   * `recordFiring` for many firings in ONE transaction (a firing storm costs one commit, not one
   * per firing); each item has exactly `recordFiring`'s semantics, and the result holds each item's
   * rows in item order. Items repeating an earlier item's (signalId, ts) get that item's rows.
   * All or nothing: on an error no item is written, so the caller retries the whole batch.
   */
  recordFirings(items: readonly FiringWrite[], now: number): Promise<DeliveryRecord[][]>;
  /**
   * Writes a test delivery (not a firing: `lastFiredAt` untouched), due at `dueAt` (default `now`;
   * a paced backtest dry run schedules later ones). Rejects when the signal does not exist.
   */
  enqueueTest(signalId: string, delivery: { id: string; channel: number; url: string; body: string }, now: number, dueAt?: number): Promise<DeliveryRecord>;
  /**
   * Claims up to `limit` due pending deliveries for `worker` until `now + leaseMs`, earliest due
   * first; rows under another live lease are skipped. Atomic across processes and nodes: two
   * concurrent claims never return the same row.
   */
  claimDue(worker: string, now: number, leaseMs: number, limit: number): Promise<DeliveryRecord[]>;
  /**
   * Records one attempt and releases the claim; ignored (returns false) unless `worker` still holds
   * the claim of a pending row. `disableChannel` marks the channel disabled (if it still has the
   * delivery's URL) and bumps the signal's `updatedAt`, so `changesSince` carries it.
   */
  recordAttempt(worker: string, deliveryId: string, result: AttemptResult): Promise<boolean>;
  /** A signal's deliveries (its tombstone's too), newest first; another user's are never returned. */
  listDeliveries(userId: string, signalId: string, page: Page): Promise<Paged<DeliveryRecord>>;
  /** When the next pending row becomes claimable (its `nextAttemptAt`, or its lease's end if later), or null. */
  nextDue(): Promise<number | null>;
  /** Attempts of one of the user's deliveries, newest first, at most `limit`; [] for another user's delivery. */
  listAttempts(userId: string, deliveryId: string, limit: number): Promise<DeliveryAttemptRecord[]>;
  /**
   * Signals changed at or after `since` (inclusive: a change in the same millisecond as the last one
   * seen is not missed; applying one twice is harmless), oldest change first. Deleted signals stay
   * as tombstones so other nodes see the delete. Poll with an overlap (since = last seen − a few
   * seconds): node clocks differ and commits can land out of time order.
   */
  changesSince(since: number): Promise<SignalChange[]>;
  /** The outbox backlog, read from the pending-rows index (cheap enough to sample on every scrape). */
  outboxStats(): Promise<OutboxStats>;
  /**
   * Retention, one bounded batch: deletes up to `limit` finished deliveries (delivered, failed,
   * cancelled) created before `before`, with their attempts, and up to `limit` signal tombstones
   * deleted before `before`. Pending deliveries are never touched. Callers repeat while a batch
   * comes back full; each batch is its own short transaction.
   */
  prune(before: number, limit: number): Promise<PruneResult>;
}
