/**
 * IdentityStore on PostgreSQL. `debitCredits` is one INSERT … ON CONFLICT DO UPDATE … WHERE: the
 * conflicting row is locked and the cap is checked against its latest version, so concurrent
 * debits from any number of nodes serialise on the account's row and can never pass the cap.
 * Batch writes (usage, last-used, credit write-behind) send each column as one array and unnest it.
 */
import { parseTierId as storedTier, type TierId } from "../../domain/tiers.ts";
import type { ApiKeyRecord, CreditDelta, IdentityStore, UsageDelta, UserRecord } from "../identity.port.ts";
import { type Pool, arrayLiterals, textElement } from "./client.postgres.ts";

interface UserRow { id: string; email: string; password_hash: string; plan: string; created_at: number }
interface KeyRow {
  id: string; user_id: string; hash: string; prefix: string; name: string; tier: string; allowed_ips: string[] | null;
  expires_at: number | null; enabled: boolean; created_at: number; revoked_at: number | null; last_used_at: number | null;
}

const toUser = (r: UserRow): UserRecord => ({
  id: r.id, email: r.email, passwordHash: r.password_hash, plan: storedTier(r.plan), createdAt: r.created_at,
});
const toKey = (r: KeyRow): ApiKeyRecord => ({
  id: r.id, userId: r.user_id, hash: r.hash, prefix: r.prefix, name: r.name, tier: storedTier(r.tier),
  allowedIps: r.allowed_ips, expiresAt: r.expires_at, enabled: r.enabled, createdAt: r.created_at,
  revokedAt: r.revoked_at, lastUsedAt: r.last_used_at,
});

/** Sums rows that share a key: one statement may not update the same row twice. */
function merge<T>(rows: readonly T[], key: (r: T) => string, add: (into: T, r: T) => void): T[] {
  const byKey = new Map<string, T>();
  for (const r of rows) {
    const k = key(r);
    const seen = byKey.get(k);
    if (seen) add(seen, r);
    else byKey.set(k, { ...r });
  }
  return [...byKey.values()];
}

/** Creates the adapter over a pool. */
export function createPostgresIdentity(sql: Pool): IdentityStore {
  const text = (v: string) => textElement(v);

  return {
    async createUser(u) {
      const rows = await sql`
        INSERT INTO users (id, email, password_hash, plan, created_at)
        VALUES (${u.id}, ${u.email}, ${u.passwordHash}, ${u.plan}, ${u.createdAt})
        ON CONFLICT (email) DO NOTHING RETURNING id`;
      return rows.length === 1;
    },
    async userById(id) {
      const [r] = await sql<UserRow[]>`SELECT * FROM users WHERE id = ${id}`;
      return r ? toUser(r) : null;
    },
    async userByEmail(email) {
      const [r] = await sql<UserRow[]>`SELECT * FROM users WHERE email = ${email}`;
      return r ? toUser(r) : null;
    },
    async listUsers(q) {
      const filter = q.email === undefined ? sql`` : sql`WHERE email = ${q.email}`;
      const rows = await sql<Array<UserRow & { total: number }>>`
        SELECT *, count(*) OVER () AS total FROM users ${filter} ORDER BY created_at, id LIMIT ${q.limit} OFFSET ${q.offset}`;
      const total = rows[0]?.total ?? (q.offset > 0 ? (await sql<Array<{ n: number }>>`SELECT count(*)::bigint AS n FROM users ${filter}`)[0]!.n : 0);
      return { rows: rows.map(toUser), total };
    },
    async setUserPlan(userId, plan: TierId) {
      const r = await sql`UPDATE users SET plan = ${plan} WHERE id = ${userId}`;
      return r.count === 1;
    },

    async createKey(k) {
      await sql`
        INSERT INTO api_keys (id, user_id, hash, prefix, name, tier, allowed_ips, expires_at, enabled, created_at, revoked_at, last_used_at)
        VALUES (${k.id}, ${k.userId}, ${k.hash}, ${k.prefix}, ${k.name}, ${k.tier}, ${k.allowedIps === null ? null : sql.array(k.allowedIps)},
                ${k.expiresAt}, ${k.enabled}, ${k.createdAt}, ${k.revokedAt}, ${k.lastUsedAt})`;
    },
    async keyByHash(hash) {
      const [r] = await sql<Array<KeyRow & { plan: string }>>`
        SELECT k.*, u.plan FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.hash = ${hash}`;
      return r ? { key: toKey(r), plan: storedTier(r.plan) } : null;
    },
    async keyById(id) {
      const [r] = await sql<KeyRow[]>`SELECT * FROM api_keys WHERE id = ${id}`;
      return r ? toKey(r) : null;
    },
    async listKeys(userId, opts = {}) {
      const revoked = opts.includeRevoked ? sql`` : sql`AND revoked_at IS NULL`;
      const rows = await sql<KeyRow[]>`SELECT * FROM api_keys WHERE user_id = ${userId} ${revoked} ORDER BY created_at, id`;
      return rows.map(toKey);
    },
    async countActiveKeys(userId) {
      const [r] = await sql<Array<{ n: number }>>`SELECT count(*)::bigint AS n FROM api_keys WHERE user_id = ${userId} AND revoked_at IS NULL`;
      return r?.n ?? 0;
    },
    async updateKey(id, patch) {
      const sets = [];
      if (patch.name !== undefined) sets.push(sql`name = ${patch.name}`);
      if (patch.tier !== undefined) sets.push(sql`tier = ${patch.tier}`);
      if (patch.allowedIps !== undefined) sets.push(sql`allowed_ips = ${patch.allowedIps === null ? null : sql.array(patch.allowedIps)}`);
      if (patch.expiresAt !== undefined) sets.push(sql`expires_at = ${patch.expiresAt}`);
      if (patch.enabled !== undefined) sets.push(sql`enabled = ${patch.enabled}`);
      if (sets.length === 0) {
        const [r] = await sql<KeyRow[]>`SELECT * FROM api_keys WHERE id = ${id} AND revoked_at IS NULL`;
        return r ? toKey(r) : null;
      }
      const assignments = sets.reduce((acc, s) => sql`${acc}, ${s}`);
      const [r] = await sql<KeyRow[]>`UPDATE api_keys SET ${assignments} WHERE id = ${id} AND revoked_at IS NULL RETURNING *`;
      return r ? toKey(r) : null;
    },
    async revokeKey(id, at) {
      const [r] = await sql<KeyRow[]>`UPDATE api_keys SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL RETURNING *`;
      return r ? toKey(r) : null;
    },
    async touchKeys(rows) {
      if (rows.length === 0) return;
      const latest = merge(rows, (r) => r.id, (into, r) => void (into.lastUsedAt = Math.max(into.lastUsedAt, r.lastUsedAt)));
      const cols = arrayLiterals(latest, { id: (r) => text(r.id), ts: (r) => r.lastUsedAt });
      await sql`
        UPDATE api_keys k SET last_used_at = GREATEST(coalesce(k.last_used_at, 0), v.ts)
        FROM unnest(${cols.id}::text[], ${cols.ts}::bigint[]) AS v(id, ts) WHERE k.id = v.id`;
    },

    async addUsage(rows) {
      if (rows.length === 0) return;
      const merged = merge(rows, (r) => `${r.keyId}|${r.hour}`, (into: UsageDelta, r) => {
        into.requests += r.requests;
        into.credits += r.credits;
        into.errors += r.errors;
      });
      const c = arrayLiterals(merged, {
        key: (r) => text(r.keyId), hour: (r) => r.hour, requests: (r) => r.requests, credits: (r) => r.credits, errors: (r) => r.errors,
      });
      await sql`
        INSERT INTO key_usage_hourly AS u (key_id, hour, requests, credits, errors)
        SELECT * FROM unnest(${c.key}::text[], ${c.hour}::bigint[], ${c.requests}::bigint[], ${c.credits}::bigint[], ${c.errors}::bigint[])
        ON CONFLICT (key_id, hour) DO UPDATE SET requests = u.requests + excluded.requests,
          credits = u.credits + excluded.credits, errors = u.errors + excluded.errors`;
    },
    async usage(q) {
      return sql<Array<{ hour: number; requests: number; credits: number; errors: number }>>`
        SELECT hour, requests, credits, errors FROM key_usage_hourly
        WHERE key_id = ${q.keyId} AND hour >= ${q.start} AND hour < ${q.end} ORDER BY hour`.then((rows) => rows.map((r) => ({ ...r })));
    },

    async creditsUsed(userId, month) {
      const [r] = await sql<Array<{ used: number }>>`SELECT used FROM credit_ledger WHERE user_id = ${userId} AND month = ${month}`;
      return r?.used ?? 0;
    },
    async debitCredits({ userId, month, cost, cap }) {
      if (cap !== null && cost > cap) return null;
      const [r] = await sql<Array<{ used: number }>>`
        INSERT INTO credit_ledger AS l (user_id, month, used) VALUES (${userId}, ${month}, ${cost})
        ON CONFLICT (user_id, month) DO UPDATE SET used = l.used + excluded.used
        WHERE ${cap}::bigint IS NULL OR l.used + excluded.used <= ${cap}::bigint
        RETURNING used`;
      return r ? r.used : null;
    },
    async addCredits(rows) {
      if (rows.length === 0) return [];
      const merged = merge(rows, (r) => `${r.userId}|${r.month}`, (into: CreditDelta, r) => void (into.amount += r.amount));
      const c = arrayLiterals(merged, { user: (r) => text(r.userId), month: (r) => text(r.month), amount: (r) => r.amount });
      const out = await sql<Array<{ user_id: string; month: string; used: number }>>`
        INSERT INTO credit_ledger AS l (user_id, month, used)
        SELECT * FROM unnest(${c.user}::text[], ${c.month}::text[], ${c.amount}::bigint[])
        ON CONFLICT (user_id, month) DO UPDATE SET used = l.used + excluded.used
        RETURNING user_id, month, used`;
      return out.map((r) => ({ userId: r.user_id, month: r.month, used: r.used }));
    },
  };
}
