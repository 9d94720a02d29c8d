/**
 * IdentityStore on bun:sqlite. Statements are prepared lazily (the store exists before migrate()
 * has created the tables) and reused. bun:sqlite is synchronous and one process owns the file's
 * write lock per statement, so the conditional UPSERT of `debitCredits` is atomic by construction;
 * it is also atomic across processes sharing the file (SQLite serialises writers).
 */
import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import { parseTierId as storedTier } from "../../domain/tiers.ts";
import type { ApiKeyRecord, IdentityStore, UserRecord } from "../identity.port.ts";

interface UserRow { id: string; email: string; password_hash: string; plan: string; created_at: number }
interface KeyRow {
  id: string; user_id: string; hash: string; prefix: string; name: string; tier: string; allowed_ips: string | null;
  expires_at: number | null; enabled: number; created_at: number; revoked_at: number | null; last_used_at: number | null;
}
interface UsedRow { used: number }

const KEY_COLUMNS = "id, user_id, hash, prefix, name, tier, allowed_ips, expires_at, enabled, created_at, revoked_at, last_used_at";

const toUser = (r: UserRow): UserRecord => ({
  id: r.id, email: r.email, passwordHash: r.password_hash, plan: storedTier(r.plan), createdAt: r.created_at,
});
const toKey = (r: KeyRow): ApiKeyRecord => ({
  id: r.id, userId: r.user_id, hash: r.hash, prefix: r.prefix, name: r.name, tier: storedTier(r.tier),
  allowedIps: r.allowed_ips === null ? null : (JSON.parse(r.allowed_ips) as string[]), expiresAt: r.expires_at,
  enabled: r.enabled === 1, createdAt: r.created_at, revokedAt: r.revoked_at, lastUsedAt: r.last_used_at,
});

/** Creates the adapter over an open database. */
export function createSqliteIdentity(db: Database): IdentityStore {
  const cache = new Map<string, Statement>();
  const stmt = <R = unknown, P extends SQLQueryBindings[] = SQLQueryBindings[]>(sql: string): Statement<R, P> => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s as unknown as Statement<R, P>;
  };

  return {
    async createUser(u) {
      const r = stmt("INSERT INTO users (id, email, password_hash, plan, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING")
        .run(u.id, u.email, u.passwordHash, u.plan, u.createdAt);
      return r.changes === 1;
    },
    async userById(id) {
      const r = stmt<UserRow, [string]>("SELECT * FROM users WHERE id = ?").get(id);
      return r ? toUser(r) : null;
    },
    async userByEmail(email) {
      const r = stmt<UserRow, [string]>("SELECT * FROM users WHERE email = ?").get(email);
      return r ? toUser(r) : null;
    },
    async listUsers(q) {
      const where = q.email === undefined ? "" : "WHERE email = ?";
      const args: SQLQueryBindings[] = q.email === undefined ? [] : [q.email];
      const rows = stmt<UserRow>(`SELECT * FROM users ${where} ORDER BY created_at, id LIMIT ? OFFSET ?`).all(...args, q.limit, q.offset);
      const total = stmt<{ n: number }>(`SELECT count(*) AS n FROM users ${where}`).get(...args)?.n ?? 0;
      return { rows: rows.map(toUser), total };
    },
    async setUserPlan(userId, plan) {
      return stmt("UPDATE users SET plan = ? WHERE id = ?").run(plan, userId).changes === 1;
    },

    async createKey(k) {
      stmt(`INSERT INTO api_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        k.id, k.userId, k.hash, k.prefix, k.name, k.tier, k.allowedIps === null ? null : JSON.stringify(k.allowedIps),
        k.expiresAt, k.enabled ? 1 : 0, k.createdAt, k.revokedAt, k.lastUsedAt,
      );
    },
    async keyByHash(hash) {
      const r = stmt<KeyRow & { plan: string }, [string]>(
        `SELECT k.*, u.plan AS plan FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.hash = ?`,
      ).get(hash);
      return r ? { key: toKey(r), plan: storedTier(r.plan) } : null;
    },
    async keyById(id) {
      const r = stmt<KeyRow, [string]>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`).get(id);
      return r ? toKey(r) : null;
    },
    async listKeys(userId, opts = {}) {
      const revoked = opts.includeRevoked ? "" : "AND revoked_at IS NULL";
      return stmt<KeyRow, [string]>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE user_id = ? ${revoked} ORDER BY created_at, id`)
        .all(userId)
        .map(toKey);
    },
    async countActiveKeys(userId) {
      return stmt<{ n: number }, [string]>("SELECT count(*) AS n FROM api_keys WHERE user_id = ? AND revoked_at IS NULL").get(userId)?.n ?? 0;
    },
    async updateKey(id, patch) {
      const sets: string[] = [];
      const args: SQLQueryBindings[] = [];
      const add = (column: string, value: SQLQueryBindings) => (sets.push(`${column} = ?`), args.push(value));
      if (patch.name !== undefined) add("name", patch.name);
      if (patch.tier !== undefined) add("tier", patch.tier);
      if (patch.allowedIps !== undefined) add("allowed_ips", patch.allowedIps === null ? null : JSON.stringify(patch.allowedIps));
      if (patch.expiresAt !== undefined) add("expires_at", patch.expiresAt);
      if (patch.enabled !== undefined) add("enabled", patch.enabled ? 1 : 0);
      if (sets.length === 0) {
        const r = stmt<KeyRow, [string]>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ? AND revoked_at IS NULL`).get(id);
        return r ? toKey(r) : null;
      }
      // Not a cached statement: its text depends on which fields the patch names.
      const r = db.query<KeyRow, SQLQueryBindings[]>(
        `UPDATE api_keys SET ${sets.join(", ")} WHERE id = ? AND revoked_at IS NULL RETURNING ${KEY_COLUMNS}`,
      ).get(...args, id);
      return r ? toKey(r) : null;
    },
    async revokeKey(id, at) {
      const r = stmt<KeyRow, [number, string]>(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING ${KEY_COLUMNS}`).get(at, id);
      return r ? toKey(r) : null;
    },
    async touchKeys(rows) {
      if (rows.length === 0) return;
      const s = stmt("UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?");
      db.transaction(() => {
        for (const r of rows) s.run(r.lastUsedAt, r.id);
      })();
    },

    async addUsage(rows) {
      if (rows.length === 0) return;
      const s = stmt(
        `INSERT INTO key_usage_hourly (key_id, hour, requests, credits, errors) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key_id, hour) DO UPDATE SET requests = requests + excluded.requests,
           credits = credits + excluded.credits, errors = errors + excluded.errors`,
      );
      db.transaction(() => {
        for (const r of rows) s.run(r.keyId, r.hour, r.requests, r.credits, r.errors);
      })();
    },
    async usage(q) {
      return stmt<{ hour: number; requests: number; credits: number; errors: number }, [string, number, number]>(
        "SELECT hour, requests, credits, errors FROM key_usage_hourly WHERE key_id = ? AND hour >= ? AND hour < ? ORDER BY hour",
      ).all(q.keyId, q.start, q.end);
    },

    async creditsUsed(userId, month) {
      return stmt<UsedRow, [string, string]>("SELECT used FROM credit_ledger WHERE user_id = ? AND month = ?").get(userId, month)?.used ?? 0;
    },
    async debitCredits({ userId, month, cost, cap }) {
      if (cap !== null && cost > cap) return null;
      // One statement: insert the month's row or add to it, but only while the total stays within
      // the cap. A refused update returns no row.
      const r = stmt<UsedRow, [string, string, number, number | null]>(
        `INSERT INTO credit_ledger (user_id, month, used) VALUES (?, ?, ?)
         ON CONFLICT (user_id, month) DO UPDATE SET used = used + excluded.used
         WHERE ?4 IS NULL OR used + excluded.used <= ?4
         RETURNING used`,
      ).get(userId, month, cost, cap);
      return r ? r.used : null;
    },
    async addCredits(rows) {
      const s = stmt<UsedRow, [string, string, number]>(
        `INSERT INTO credit_ledger (user_id, month, used) VALUES (?, ?, ?)
         ON CONFLICT (user_id, month) DO UPDATE SET used = used + excluded.used RETURNING used`,
      );
      const totals = new Map<string, { userId: string; month: string; used: number }>();
      db.transaction(() => {
        for (const r of rows) totals.set(`${r.userId}|${r.month}`, { userId: r.userId, month: r.month, used: s.get(r.userId, r.month, r.amount)!.used });
      })();
      return [...totals.values()];
    },
  };
}
