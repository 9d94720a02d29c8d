/**
 * Concurrent WebSocket connections per account (the plan's "WS Connections"). A connection holds a
 * slot from admission until its socket closes. One node: a map. Several nodes: Redis (see
 * connection-quota.redis.ts), where slots are leases that the holding node keeps renewing, so the
 * slots of a node that dies free themselves.
 */

/** Concurrent connection slots per account. */
export interface ConnectionQuota {
  /** Takes a slot for `connectionId` of `userId` when fewer than `limit` are held (null = no limit). */
  acquire(userId: string, connectionId: string, limit: number | null): Promise<boolean>;
  /** Frees a slot (idempotent). */
  release(userId: string, connectionId: string): Promise<void>;
  /** Keeps the slots of live connections (a no-op where slots do not expire). */
  renew(slots: ReadonlyArray<{ userId: string; connectionId: string }>): Promise<void>;
  /** How often `renew` must run, in ms (null: never). */
  readonly renewEveryMs: number | null;
}

/** Slots of one process. */
export function createMemoryConnectionQuota(): ConnectionQuota {
  const held = new Map<string, Set<string>>();
  return {
    renewEveryMs: null,
    async acquire(userId, connectionId, limit) {
      let set = held.get(userId);
      if (!set) held.set(userId, (set = new Set()));
      if (set.has(connectionId)) return true;
      if (limit !== null && set.size >= limit) return false;
      set.add(connectionId);
      return true;
    },
    async release(userId, connectionId) {
      const set = held.get(userId);
      if (!set) return;
      set.delete(connectionId);
      if (set.size === 0) held.delete(userId);
    },
    async renew() {},
  };
}
