/**
 * SignalsStore on PostgreSQL. `claimDue` locks due rows with FOR UPDATE SKIP LOCKED and stamps them
 * with the worker and a lease in the same statement, so concurrent workers on any number of nodes
 * split the due rows between them and none waits on another. `recordAttempt` only updates a row its
 * worker still holds. `recordFiring(s)` locks the signals' rows first: two writers of the same firing
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

  /**
   * One transaction per batch: the batch's signal rows are locked in id order (two writers of
   * overlapping batches cannot deadlock, and the second finds the first's rows), existing firings
   * are read in one query, new rows go in with multi-row INSERTs and `lastFiredAt` with one UPDATE.
   */
  const recordFirings: SignalsStore["recordFirings"] = async (items, now) => {
    if (items.length === 0) return [];
    const key = (signalId: string, ts: number) => `${signalId}\u0000${ts}`;
    const ids = [...new Set(items.map((i) => i.firing.signalId))].sort();
    const stamps = [...new Set(items.map((i) => String(i.firing.ts)))];
    const rows = await sql.begin(async (tx) => {
      const signals = await tx<SignalRow[]>`SELECT * FROM signals WHERE id = ANY(${ids}) AND deleted_at IS NULL ORDER BY id FOR UPDATE`;
      const byId = new Map(signals.map((r) => [r.id, r]));
      const wanted = new Set(items.map((i) => key(i.firing.signalId, i.firing.ts)));
      const readFirings = async () =>
        (await tx<DeliveryRow[]>`SELECT * FROM signal_deliveries WHERE signal_id = ANY(${ids}) AND fired_at = ANY(${stamps}::bigint[]) ORDER BY channel`)
          .filter((r) => wanted.has(key(r.signal_id, Number(r.fired_at))));
      const done = new Set((await readFirings()).map((r) => key(r.signal_id, Number(r.fired_at))));
      const inserts: Array<Record<string, string | number | boolean>> = [];
      const fired = new Map<string, number>();
      for (const { firing, deliveries } of items) {
        const s = byId.get(firing.signalId);
        const k = key(firing.signalId, firing.ts);
        if (!s || done.has(k)) continue;
        done.add(k); // a repeat of this firing later in the batch gets this item's rows
        const open = enabledChannelUrls(s.channels);
        for (const d of deliveries.filter((x) => open.has(x.channel))) {
          inserts.push({ id: d.id, signal_id: s.id, user_id: s.user_id, channel: d.channel, url: d.url, body: d.body, test: false,
            fired_at: firing.ts, status: "pending", created_at: now, next_attempt_at: now });
        }
        fired.set(s.id, Math.max(fired.get(s.id) ?? 0, firing.ts));
      }
      // 11 parameters a row: chunks stay far below PostgreSQL's 65,535 bind parameters.
      for (let i = 0; i < inserts.length; i += 1_000) await tx`INSERT INTO signal_deliveries ${tx(inserts.slice(i, i + 1_000))} ON CONFLICT DO NOTHING`;
      if (fired.size > 0) {
        await tx`UPDATE signals s SET last_fired_at = GREATEST(coalesce(s.last_fired_at, 0), v.ts)
                 FROM unnest(${[...fired.keys()]}::text[], ${[...fired.values()].map(String)}::bigint[]) AS v(id, ts) WHERE s.id = v.id`;
      }
      return readFirings();
    });
    const grouped = new Map<string, DeliveryRow[]>();
    for (const r of rows) {
      const k = key(r.signal_id, Number(r.fired_at));
      grouped.set(k, [...(grouped.get(k) ?? []), r]);
    }
    return items.map((i) => (grouped.get(key(i.firing.signalId, i.firing.ts)) ?? []).map(toDelivery));
  };

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
    async byIds(ids) {
      if (ids.length === 0) return [];
      const rows = await sql<SignalRow[]>`SELECT * FROM signals WHERE id = ANY(${[...ids]}) AND ${live}`;
      return rows.map((r) => toSignal(box, r));
    },
    async recordFiring(firing, deliveries, now) {
      const [rows] = await recordFirings([{ firing, deliveries }], now);
      return rows ?? [];
    },
    recordFirings,
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
