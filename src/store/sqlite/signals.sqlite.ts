/**
 * SignalsStore on bun:sqlite. Every write is one transaction; SQLite has one writer at a time per
 * file, across processes too, so `claimDue` — a single UPDATE … RETURNING over the due rows — hands
 * each row to exactly one worker, and `recordAttempt` checks the claim inside the same write.
 */
import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import { newPrefixedId } from "../../lib/ids.ts";
import { SignalLimitError, type FiringWrite, type NewSignal, type PruneResult, type SignalsStore } from "../signals.port.ts";
import {
  type AttemptRow, type DeliveryRow, type SecretBox, type SignalRow, attemptEffect, boundedError, byDue, channelsText,
  disableChannelText, enabledChannelUrls, toAttempt, toDelivery, toSignal,
} from "../signals.shared.ts";

const LIVE = "deleted_at IS NULL";

/** Creates the adapter over an open database; `box` seals channel secrets at rest. */
export function createSqliteSignals(db: Database, box: SecretBox): SignalsStore {
  const cache = new Map<string, Statement>();
  const stmt = <R = unknown>(sql: string): Statement<R, SQLQueryBindings[]> => {
    let s = cache.get(sql);
    if (!s) cache.set(sql, (s = db.prepare(sql)));
    return s as unknown as Statement<R, SQLQueryBindings[]>;
  };
  const signalRow = (id: string) => stmt<SignalRow>(`SELECT * FROM signals WHERE id = ? AND ${LIVE}`).get(id);
  const deliveryRow = (id: string) => stmt<DeliveryRow>("SELECT * FROM signal_deliveries WHERE id = ?").get(id);
  const firingRows = (signalId: string, ts: number) =>
    stmt<DeliveryRow>("SELECT * FROM signal_deliveries WHERE signal_id = ? AND fired_at = ? ORDER BY channel").all(signalId, ts);
  const insertDelivery = (d: { id: string; channel: number; url: string; body: string }, s: SignalRow, test: boolean, firedAt: number | null, now: number, dueAt = now) =>
    stmt(`INSERT INTO signal_deliveries (id, signal_id, user_id, channel, url, body, test, fired_at, status, created_at, next_attempt_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING`)
      .run(d.id, s.id, s.user_id, d.channel, d.url, d.body, test ? 1 : 0, firedAt, now, dueAt);

  const recordOne = ({ firing, deliveries }: FiringWrite, now: number): DeliveryRow[] => {
    const existing = firingRows(firing.signalId, firing.ts);
    if (existing.length > 0) return existing;
    const s = signalRow(firing.signalId);
    if (!s) return [];
    const open = enabledChannelUrls(s.channels);
    for (const d of deliveries) if (open.has(d.channel)) insertDelivery(d, s, false, firing.ts, now);
    stmt("UPDATE signals SET last_fired_at = max(coalesce(last_fired_at, 0), ?) WHERE id = ?").run(firing.ts, s.id);
    return firingRows(firing.signalId, firing.ts);
  };
  /** One IMMEDIATE transaction for the whole batch; the statements are prepared once (see `stmt`). */
  const recordFirings = db.transaction((items: readonly FiringWrite[], now: number) => items.map((item) => recordOne(item, now)));

  const recordAttempt = db.transaction((worker: string, id: string, result: Parameters<SignalsStore["recordAttempt"]>[2]): boolean => {
    const effect = attemptEffect(result);
    const row = stmt<DeliveryRow & { attempts: number }>(`
      UPDATE signal_deliveries SET attempts = attempts + 1, status = ?, next_attempt_at = ?, delivered_at = ?, last_status = ?,
        last_error = ?, claimed_by = NULL, lease_until = NULL
      WHERE id = ? AND claimed_by = ? AND status = 'pending' RETURNING *`)
      .get(effect.status, effect.nextAttemptAt, effect.deliveredAt, result.httpStatus, boundedError(result.error), id, worker);
    if (!row) return false;
    stmt("INSERT INTO signal_delivery_attempts (delivery_id, attempt, at, duration_ms, http_status, error, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(id, row.attempts, result.at, Math.max(0, Math.round(result.durationMs)), result.httpStatus, boundedError(result.error), result.outcome);
    if (result.disableChannel) {
      const s = signalRow(row.signal_id);
      const channels = s ? disableChannelText(s.channels, row.channel, row.url, result.at) : null;
      if (s && channels) stmt("UPDATE signals SET channels = ?, updated_at = max(updated_at, ?) WHERE id = ?").run(channels, result.at, s.id);
    }
    return true;
  });

  const countLive = (userId: string) => stmt<{ n: number }>(`SELECT count(*) AS n FROM signals WHERE user_id = ? AND ${LIVE}`).get(userId)?.n ?? 0;

  const create = db.transaction((s: NewSignal, now: number, maxPerUser: number | null): SignalRow => {
    if (maxPerUser !== null && countLive(s.userId) >= maxPerUser) throw new SignalLimitError(maxPerUser);
    const id = newPrefixedId("sig");
    return stmt<SignalRow>(`INSERT INTO signals (id, user_id, name, venue, market_id, rule, channels, cooldown_secs, enabled, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`)
      .get(id, s.userId, s.name, s.venue, s.marketId, JSON.stringify(s.rule), channelsText(box, s.channels), s.cooldownSecs, s.enabled ? 1 : 0, now, now)!;
  });

  const prune = db.transaction((before: number, limit: number): PruneResult => {
    const ids = stmt<{ id: string }>(`DELETE FROM signal_deliveries WHERE id IN (
        SELECT id FROM signal_deliveries WHERE status <> 'pending' AND created_at < ? ORDER BY created_at LIMIT ?) RETURNING id`).all(before, limit);
    let attempts = 0;
    const dropAttempts = stmt("DELETE FROM signal_delivery_attempts WHERE delivery_id = ?");
    for (const { id } of ids) attempts += dropAttempts.run(id).changes;
    const signals = stmt(`DELETE FROM signals WHERE id IN (
        SELECT id FROM signals WHERE deleted_at IS NOT NULL AND deleted_at < ? ORDER BY deleted_at LIMIT ?)`).run(before, limit).changes;
    return { deliveries: ids.length, attempts, signals };
  });

  const remove = db.transaction((userId: string, id: string, now: number): boolean => {
    const r = stmt(`UPDATE signals SET deleted_at = ?, updated_at = ?, enabled = 0, channels = '[]' WHERE id = ? AND user_id = ? AND ${LIVE}`).run(now, now, id, userId);
    if (r.changes === 0) return false;
    stmt("UPDATE signal_deliveries SET status = 'cancelled', next_attempt_at = NULL, claimed_by = NULL, lease_until = NULL WHERE signal_id = ? AND status = 'pending'").run(id);
    return true;
  });

  return {
    async create(s, now, limit) {
      // IMMEDIATE takes the write lock before the count, so another process cannot insert in between.
      return toSignal(box, create.immediate(s, now, limit?.maxPerUser ?? null));
    },
    async get(userId, id) {
      const r = stmt<SignalRow>(`SELECT * FROM signals WHERE id = ? AND user_id = ? AND ${LIVE}`).get(id, userId);
      return r ? toSignal(box, r) : null;
    },
    async list(userId, page) {
      const rows = stmt<SignalRow>(`SELECT * FROM signals WHERE user_id = ? AND ${LIVE} ORDER BY created_at, id LIMIT ? OFFSET ?`).all(userId, page.limit, page.offset);
      const total = stmt<{ n: number }>(`SELECT count(*) AS n FROM signals WHERE user_id = ? AND ${LIVE}`).get(userId)?.n ?? 0;
      return { rows: rows.map((r) => toSignal(box, r)), total };
    },
    async count(userId) {
      return countLive(userId);
    },
    async update(userId, id, patch, now) {
      const sets = ["updated_at = ?"];
      const args: SQLQueryBindings[] = [now];
      const add = (column: string, value: SQLQueryBindings) => (sets.push(`${column} = ?`), args.push(value));
      if (patch.name !== undefined) add("name", patch.name);
      if (patch.marketId !== undefined) add("market_id", patch.marketId);
      if (patch.rule !== undefined) add("rule", JSON.stringify(patch.rule));
      if (patch.channels !== undefined) add("channels", channelsText(box, patch.channels));
      if (patch.cooldownSecs !== undefined) add("cooldown_secs", patch.cooldownSecs);
      if (patch.enabled !== undefined) add("enabled", patch.enabled ? 1 : 0);
      const r = stmt<SignalRow>(`UPDATE signals SET ${sets.join(", ")} WHERE id = ? AND user_id = ? AND ${LIVE} RETURNING *`).get(...args, id, userId);
      return r ? toSignal(box, r) : null;
    },
    async delete(userId, id, now) {
      return remove(userId, id, now);
    },
    async listEnabled() {
      return stmt<SignalRow>(`SELECT * FROM signals WHERE enabled = 1 AND ${LIVE} ORDER BY created_at, id`).all().map((r) => toSignal(box, r));
    },
    async byId(id) {
      const r = signalRow(id);
      return r ? toSignal(box, r) : null;
    },
    async byIds(ids) {
      if (ids.length === 0) return [];
      return stmt<SignalRow>(`SELECT * FROM signals WHERE id IN (SELECT value FROM json_each(?)) AND ${LIVE}`).all(JSON.stringify(ids)).map((r) => toSignal(box, r));
    },
    async recordFiring(firing, deliveries, now) {
      return recordFirings.immediate([{ firing, deliveries }], now)[0]!.map(toDelivery);
    },
    async recordFirings(items, now) {
      if (items.length === 0) return [];
      return recordFirings.immediate(items, now).map((rows) => rows.map(toDelivery));
    },
    async enqueueTest(signalId, d, now, dueAt = now) {
      const s = signalRow(signalId);
      if (!s) throw new Error(`signal ${signalId} not found`);
      insertDelivery(d, s, true, null, now, dueAt);
      return toDelivery(deliveryRow(d.id)!);
    },
    async claimDue(worker, now, leaseMs, limit) {
      const rows = stmt<DeliveryRow>(`
        UPDATE signal_deliveries SET claimed_by = ?, lease_until = ?
        WHERE id IN (SELECT id FROM signal_deliveries WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
                     ORDER BY next_attempt_at, id LIMIT ?)
        RETURNING *`).all(worker, now + leaseMs, now, now, limit);
      return rows.map(toDelivery).sort(byDue);
    },
    async recordAttempt(worker, deliveryId, result) {
      return recordAttempt.immediate(worker, deliveryId, result);
    },
    async listDeliveries(userId, signalId, page) {
      const where = "WHERE signal_id = ? AND user_id = ?";
      const rows = stmt<DeliveryRow>(`SELECT * FROM signal_deliveries ${where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`).all(signalId, userId, page.limit, page.offset);
      const total = stmt<{ n: number }>(`SELECT count(*) AS n FROM signal_deliveries ${where}`).get(signalId, userId)?.n ?? 0;
      return { rows: rows.map(toDelivery), total };
    },
    async nextDue() {
      return stmt<{ t: number | null }>("SELECT min(max(next_attempt_at, coalesce(lease_until, 0))) AS t FROM signal_deliveries WHERE status = 'pending'").get()?.t ?? null;
    },
    async listAttempts(userId, deliveryId, limit) {
      return stmt<AttemptRow>(`SELECT a.* FROM signal_delivery_attempts a JOIN signal_deliveries d ON d.id = a.delivery_id
                               WHERE a.delivery_id = ? AND d.user_id = ? ORDER BY a.attempt DESC LIMIT ?`).all(deliveryId, userId, limit).map(toAttempt);
    },
    async changesSince(since) {
      return stmt<SignalRow>("SELECT * FROM signals WHERE updated_at >= ? ORDER BY updated_at, id").all(since).map((r) => ({
        id: r.id, updatedAt: r.updated_at, signal: r.deleted_at === null && r.enabled === 1 ? toSignal(box, r) : null,
      }));
    },
    async outboxStats() {
      const r = stmt<{ n: number; t: number | null }>("SELECT count(*) AS n, min(next_attempt_at) AS t FROM signal_deliveries WHERE status = 'pending'").get();
      return { pending: r?.n ?? 0, oldestDueAt: r?.t ?? null };
    },
    async prune(before, limit) {
      return prune.immediate(before, limit);
    },
  };
}
