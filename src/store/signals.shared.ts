/**
 * What both signals adapters share, so every backend stores and reads alike: the row shapes and
 * their records, the channel secrets' sealing at rest, and the outcome → row-state rules of an
 * attempt.
 *
 * Sealing: with a key configured (WEBHOOK_SECRET_KEY), each channel secret is stored as
 * "enc:v1:" + base64(iv ‖ AES-256-GCM ciphertext ‖ tag) under SHA-256(key); without one it is stored
 * as given. Reads accept both forms, so a key can be introduced later (rows are sealed on their next
 * write). A sealed secret read without the key, or with another key, fails loudly instead of
 * signing with garbage.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { SignalRule } from "../domain/signals/rule.ts";
import type {
  AttemptResult, DeliveryAttemptRecord, DeliveryRecord, DeliveryStatus, SignalRecord, WebhookChannelRecord,
} from "./signals.port.ts";

const SEALED = "enc:v1:";

/** Seals and opens channel secrets; `sealed` says whether secrets are encrypted at rest. */
export interface SecretBox {
  readonly sealed: boolean;
  seal(secret: string): string;
  open(stored: string): string;
}

/** A box over `key` (any length; its SHA-256 is the AES key), or a pass-through when unset. */
export function createSecretBox(key?: string): SecretBox {
  const aes = key ? createHash("sha256").update(key, "utf8").digest() : null;
  return {
    sealed: aes !== null,
    seal(secret) {
      if (!aes) return secret;
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", aes, iv);
      const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
      return SEALED + Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64");
    },
    open(stored) {
      if (!stored.startsWith(SEALED)) return stored;
      if (!aes) throw new Error("a webhook secret is sealed but no WEBHOOK_SECRET_KEY is configured");
      const raw = Buffer.from(stored.slice(SEALED.length), "base64");
      const decipher = createDecipheriv("aes-256-gcm", aes, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8");
    },
  };
}

/** A signals row as both backends return it (booleans: SQLite 0/1, PostgreSQL true/false). */
export interface SignalRow {
  id: string; user_id: string; name: string; venue: string; market_id: number; rule: string; channels: string;
  cooldown_secs: number; enabled: number | boolean; created_at: number; updated_at: number; last_fired_at: number | null;
  deleted_at: number | null;
}

export interface DeliveryRow {
  id: string; signal_id: string; user_id: string; channel: number; url: string; body: string; test: number | boolean;
  fired_at: number | null; status: DeliveryStatus; attempts: number; created_at: number; next_attempt_at: number | null;
  delivered_at: number | null; last_status: number | null; last_error: string | null;
}

export interface AttemptRow {
  delivery_id: string; attempt: number; at: number; duration_ms: number; http_status: number | null; error: string | null;
  outcome: AttemptResult["outcome"];
}

/** The channels column: JSON of the list with secrets sealed. */
export const channelsText = (box: SecretBox, channels: ReadonlyArray<Omit<WebhookChannelRecord, "disabledAt"> & { disabledAt?: number | null }>): string =>
  JSON.stringify(channels.map((c) => ({ type: c.type, url: c.url, secret: box.seal(c.secret), disabledAt: c.disabledAt ?? null })));

/** The channels column back into records, secrets opened. */
export const parseChannels = (box: SecretBox, text: string): WebhookChannelRecord[] =>
  (JSON.parse(text) as WebhookChannelRecord[]).map((c) => ({ type: "webhook", url: c.url, secret: box.open(c.secret), disabledAt: c.disabledAt ?? null }));

/**
 * Marks channel `index` disabled in the stored channels text, only while it still has `url` (a
 * PATCH may have replaced the list since the firing). Secrets stay sealed as they were. Null: unchanged.
 */
export function disableChannelText(text: string, index: number, url: string, at: number): string | null {
  const list = JSON.parse(text) as Array<{ url: string; disabledAt: number | null }>;
  const c = list[index];
  if (!c || c.url !== url || c.disabledAt !== null) return null;
  c.disabledAt = at;
  return JSON.stringify(list);
}

/** Indexes of the channels (in the stored text) that may still be delivered to. */
export const enabledChannelUrls = (text: string): Map<number, string> =>
  new Map((JSON.parse(text) as Array<{ url: string; disabledAt: number | null }>).flatMap((c, i) => (c.disabledAt === null ? [[i, c.url] as const] : [])));

export const toSignal = (box: SecretBox, r: SignalRow): SignalRecord => ({
  id: r.id, userId: r.user_id, name: r.name, venue: r.venue, marketId: r.market_id, rule: JSON.parse(r.rule) as SignalRule,
  channels: parseChannels(box, r.channels), cooldownSecs: r.cooldown_secs, enabled: r.enabled === true || r.enabled === 1,
  createdAt: r.created_at, updatedAt: r.updated_at, lastFiredAt: r.last_fired_at,
});

export const toDelivery = (r: DeliveryRow): DeliveryRecord => ({
  id: r.id, signalId: r.signal_id, userId: r.user_id, channel: r.channel, url: r.url, body: r.body, test: r.test === true || r.test === 1,
  status: r.status, attempts: r.attempts, createdAt: r.created_at, firedAt: r.fired_at, nextAttemptAt: r.next_attempt_at,
  deliveredAt: r.delivered_at, lastStatus: r.last_status, lastError: r.last_error,
});

export const toAttempt = (r: AttemptRow): DeliveryAttemptRecord => ({
  deliveryId: r.delivery_id, attempt: r.attempt, at: r.at, durationMs: r.duration_ms, httpStatus: r.http_status, error: r.error,
  outcome: r.outcome,
});

/** The row state an attempt leaves behind. Throws on a retry without a time: that row would never run again. */
export function attemptEffect(result: AttemptResult): { status: DeliveryStatus; nextAttemptAt: number | null; deliveredAt: number | null } {
  switch (result.outcome) {
    case "delivered":
      return { status: "delivered", nextAttemptAt: null, deliveredAt: result.at };
    case "retry":
      if (result.nextAttemptAt === undefined || !Number.isSafeInteger(result.nextAttemptAt)) throw new RangeError("a retry needs nextAttemptAt");
      return { status: "pending", nextAttemptAt: result.nextAttemptAt, deliveredAt: null };
    case "failed":
    case "cancelled":
      return { status: result.outcome, nextAttemptAt: null, deliveredAt: null };
  }
}

/** Claimed rows come back from UPDATE … RETURNING in no particular order: due order, then id. */
export const byDue = (a: DeliveryRecord, b: DeliveryRecord): number =>
  (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Error texts are bounded before they are stored (a receiver's message can be anything). */
export const boundedError = (error: string | null): string | null => (error === null ? null : error.slice(0, 500));
