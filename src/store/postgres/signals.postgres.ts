/**
 * SignalsStore on PostgreSQL. `claimDue` locks due rows with FOR UPDATE SKIP LOCKED and stamps them
 * with the worker and a lease in the same statement, so concurrent workers on any number of nodes
 * split the due rows between them and none waits on another. `recordAttempt` only updates a row its
 * worker still holds. `recordFiring` locks the signal's row first: two writers of the same firing
 * serialise there, and the second finds the first's deliveries.
 */
import { newPrefixedId } from "../../lib/ids.ts";
import { SignalLimitError, type SignalsStore } from "../signals.port.ts";
import {
  type AttemptRow, type DeliveryRow, type SecretBox, type SignalRow, attemptEffect, boundedError, byDue, channelsText,
  disableChannelText, enabledChannelUrls, toAttempt, toDelivery, toSignal,
} from "../signals.shared.ts";
import type { Pool } from "./client.postgres.ts";

/**
 * First key of the two-int4 advisory lock that serialises signal creation per user ("HLsg"); the
 * second is the user id's hash. The two-key space never collides with single-bigint keys (the leader lock).
 */
const SIGNAL_LIMIT_LOCK_CLASS = 0x484c7367;

/** Creates the adapter over a pool; `box` seals channel secrets at rest. */
export function createPostgresSignals(sql: Pool, box: SecretBox): SignalsStore {
  const live = sql`deleted_at IS NULL`;
  const signal = (r: SignalRow | undefined) => (r ? toSignal(box, r) : null);

  return {
    async create(s, now, limit) {
      const max = limit?.maxPerUser ?? null;
      const r = await sql.begin(async (tx) => {
        if (max !== null) {
          // Held until commit: a racing create of the same user counts after this one's insert.
          await tx`SELECT pg_advisory_xact_lock(${SIGNAL_LIMIT_LOCK_CLASS}::int4, hashtext(${s.userId}))`;
          const [c] = await tx<Array<{ n: number }>>`SELECT count(*)::int AS n FROM signals WHERE user_id = ${s.userId} AND deleted_at IS NULL`;
          if ((c?.n ?? 0) >= max) throw new SignalLimitError(max);
        }
        const [row] = await tx<SignalRow[]>`
          INSERT INTO signals (id, user_id, name, venue, market_id, rule, channels, cooldown_secs, enabled, created_at, updated_at)
          VALUES (${newPrefixedId("sig")}, ${s.userId}, ${s.name}, ${s.venue}, ${s.marketId}, ${JSON.stringify(s.rule)},
                  ${channelsText(box, s.channels)}, ${s.cooldownSecs}, ${s.enabled}, ${now}, ${now})
          RETURNING *`;
        return row!;
      });
      return toSignal(box, r);
    },
    async get(userId, id) {
      const [r] = await sql<SignalRow[]>`SELECT * FROM signals WHERE id = ${id} AND user_id = ${userId} AND ${live}`;
      return signal(r);
    },
    async list(userId, page) {
      const [rows, [counted]] = await Promise.all([
        sql<SignalRow[]>`SELECT * FROM signals WHERE user_id = ${userId} AND ${live} ORDER BY created_at, id LIMIT ${page.limit} OFFSET ${page.offset}`,
        sql<Array<{ n: number }>>`SELECT count(*) AS n FROM signals WHERE user_id = ${userId} AND ${live}`,
      ]);
      return { rows: rows.map((r) => toSignal(box, r)), total: counted?.n ?? 0 };
    },
    async count(userId) {
      const [r] = await sql<Array<{ n: number }>>`SELECT count(*) AS n FROM signals WHERE user_id = ${userId} AND ${live}`;
      return r?.n ?? 0;
    },
    async update(userId, id, patch, now) {
      const set: Record<string, string | number | boolean> = { updated_at: now };
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.marketId !== undefined) set.market_id = patch.marketId;
      if (patch.rule !== undefined) set.rule = JSON.stringify(patch.rule);
      if (patch.channels !== undefined) set.channels = channelsText(box, patch.channels);
      if (patch.cooldownSecs !== undefined) set.cooldown_secs = patch.cooldownSecs;
      if (patch.enabled !== undefined) set.enabled = patch.enabled;
      const [r] = await sql<SignalRow[]>`UPDATE signals SET ${sql(set)} WHERE id = ${id} AND user_id = ${userId} AND ${live} RETURNING *`;
      return signal(r);
    },
    async delete(userId, id, now) {
      return sql.begin(async (tx) => {
        const r = await tx`UPDATE signals SET deleted_at = ${now}, updated_at = ${now}, enabled = false, channels = '[]'
                           WHERE id = ${id} AND user_id = ${userId} AND deleted_at IS NULL`;
        if (r.count === 0) return false;
        await tx`UPDATE signal_deliveries SET status = 'cancelled', next_attempt_at = NULL, claimed_by = NULL, lease_until = NULL
                 WHERE signal_id = ${id} AND status = 'pending'`;
        return true;
      });
    },
    async listEnabled() {
      const rows = await sql<SignalRow[]>`SELECT * FROM signals WHERE enabled AND ${live} ORDER BY created_at, id`;
      return rows.map((r) => toSignal(box, r));
    },
    async byId(id) {
      const [r] = await sql<SignalRow[]>`SELECT * FROM signals WHERE id = ${id} AND ${live}`;
      return signal(r);
    },
    async recordFiring(firing, deliveries, now) {
      const rows = await sql.begin(async (tx) => {
        const [s] = await tx<SignalRow[]>`SELECT * FROM signals WHERE id = ${firing.signalId} AND deleted_at IS NULL FOR UPDATE`;
        const existing = await tx<DeliveryRow[]>`SELECT * FROM signal_deliveries WHERE signal_id = ${firing.signalId} AND fired_at = ${firing.ts} ORDER BY channel`;
        if (existing.length > 0 || !s) return existing;
        const open = enabledChannelUrls(s.channels);
        for (const d of deliveries.filter((x) => open.has(x.channel))) {
          await tx`INSERT INTO signal_deliveries (id, signal_id, user_id, channel, url, body, test, fired_at, status, created_at, next_attempt_at)
                   VALUES (${d.id}, ${s.id}, ${s.user_id}, ${d.channel}, ${d.url}, ${d.body}, false, ${firing.ts}, 'pending', ${now}, ${now})
                   ON CONFLICT DO NOTHING`;
        }
        await tx`UPDATE signals SET last_fired_at = GREATEST(coalesce(last_fired_at, 0), ${firing.ts}) WHERE id = ${s.id}`;
        return tx<DeliveryRow[]>`SELECT * FROM signal_deliveries WHERE signal_id = ${firing.signalId} AND fired_at = ${firing.ts} ORDER BY channel`;
      });
      return rows.map(toDelivery);
    },
    async enqueueTest(signalId, d, now, dueAt = now) {
      const [r] = await sql<DeliveryRow[]>`
        INSERT INTO signal_deliveries (id, signal_id, user_id, channel, url, body, test, fired_at, status, created_at, next_attempt_at)
        SELECT ${d.id}, id, user_id, ${d.channel}, ${d.url}, ${d.body}, true, NULL, 'pending', ${now}, ${dueAt}
        FROM signals WHERE id = ${signalId} AND deleted_at IS NULL
        RETURNING *`;
      if (!r) throw new Error(`signal ${signalId} not found`);
      return toDelivery(r);
    },
    async claimDue(worker, now, leaseMs, limit) {
      const rows = await sql<DeliveryRow[]>`
        UPDATE signal_deliveries d SET claimed_by = ${worker}, lease_until = ${now + leaseMs}
        FROM (SELECT id FROM signal_deliveries
              WHERE status = 'pending' AND next_attempt_at <= ${now} AND (lease_until IS NULL OR lease_until <= ${now})
              ORDER BY next_attempt_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED) due
        WHERE d.id = due.id
        RETURNING d.*`;
      return rows.map(toDelivery).sort(byDue);
    },
    async recordAttempt(worker, deliveryId, result) {
      const effect = attemptEffect(result);
      const error = boundedError(result.error);
      return sql.begin(async (tx) => {
        const [row] = await tx<DeliveryRow[]>`
          UPDATE signal_deliveries SET attempts = attempts + 1, status = ${effect.status}, next_attempt_at = ${effect.nextAttemptAt},
            delivered_at = ${effect.deliveredAt}, last_status = ${result.httpStatus}, last_error = ${error}, claimed_by = NULL, lease_until = NULL
          WHERE id = ${deliveryId} AND claimed_by = ${worker} AND status = 'pending'
          RETURNING *`;
        if (!row) return false;
        await tx`INSERT INTO signal_delivery_attempts (delivery_id, attempt, at, duration_ms, http_status, error, outcome)
                 VALUES (${deliveryId}, ${row.attempts}, ${result.at}, ${Math.max(0, Math.round(result.durationMs))}, ${result.httpStatus}, ${error}, ${result.outcome})`;
        if (result.disableChannel) {
          const [s] = await tx<SignalRow[]>`SELECT * FROM signals WHERE id = ${row.signal_id} AND deleted_at IS NULL FOR UPDATE`;
          const channels = s ? disableChannelText(s.channels, row.channel, row.url, result.at) : null;
          if (s && channels) await tx`UPDATE signals SET channels = ${channels}, updated_at = GREATEST(updated_at, ${result.at}) WHERE id = ${s.id}`;
        }
        return true;
      });
    },
    async listDeliveries(userId, signalId, page) {
      const [rows, [counted]] = await Promise.all([
        sql<DeliveryRow[]>`SELECT * FROM signal_deliveries WHERE signal_id = ${signalId} AND user_id = ${userId}
                           ORDER BY created_at DESC, id DESC LIMIT ${page.limit} OFFSET ${page.offset}`,
        sql<Array<{ n: number }>>`SELECT count(*) AS n FROM signal_deliveries WHERE signal_id = ${signalId} AND user_id = ${userId}`,
      ]);
      return { rows: rows.map(toDelivery), total: counted?.n ?? 0 };
    },
    async nextDue() {
      const [r] = await sql<Array<{ t: number | null }>>`
        SELECT min(GREATEST(next_attempt_at, coalesce(lease_until, 0))) AS t FROM signal_deliveries WHERE status = 'pending'`;
      return r?.t ?? null;
    },
    async listAttempts(userId, deliveryId, limit) {
      const rows = await sql<AttemptRow[]>`
        SELECT a.* FROM signal_delivery_attempts a JOIN signal_deliveries d ON d.id = a.delivery_id
        WHERE a.delivery_id = ${deliveryId} AND d.user_id = ${userId} ORDER BY a.attempt DESC LIMIT ${limit}`;
      return rows.map(toAttempt);
    },
    async changesSince(since) {
      const rows = await sql<SignalRow[]>`SELECT * FROM signals WHERE updated_at >= ${since} ORDER BY updated_at, id`;
      return rows.map((r) => ({ id: r.id, updatedAt: r.updated_at, signal: r.deleted_at === null && r.enabled === true ? toSignal(box, r) : null }));
    },
    async outboxStats() {
      const [r] = await sql<Array<{ n: number; t: number | null }>>`
        SELECT count(*)::int AS n, min(next_attempt_at) AS t FROM signal_deliveries WHERE status = 'pending'`;
      return { pending: r?.n ?? 0, oldestDueAt: r?.t ?? null };
    },
    async prune(before, limit) {
      return sql.begin(async (tx) => {
        const gone = await tx<Array<{ id: string }>>`
          DELETE FROM signal_deliveries WHERE id IN (
            SELECT id FROM signal_deliveries WHERE status <> 'pending' AND created_at < ${before} ORDER BY created_at LIMIT ${limit})
          RETURNING id`;
        const ids = gone.map((g) => g.id);
        const attempts = ids.length === 0 ? { count: 0 } : await tx`DELETE FROM signal_delivery_attempts WHERE delivery_id = ANY(${ids})`;
        const signals = await tx`DELETE FROM signals WHERE id IN (
          SELECT id FROM signals WHERE deleted_at IS NOT NULL AND deleted_at < ${before} ORDER BY deleted_at LIMIT ${limit})`;
        return { deliveries: ids.length, attempts: attempts.count, signals: signals.count };
      });
    },
  };
}
