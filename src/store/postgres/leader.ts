/**
 * Ingest leader lock on a PostgreSQL session-level advisory lock. The lock belongs to one backend
 * session, so it is held on ONE dedicated connection (a `max: 1` client that never recycles it).
 * When that connection dies (process killed, network cut, backend terminated), the server releases
 * the lock by itself. No TTL is involved and no clock has to agree.
 *
 * The catch: postgres.js reconnects transparently. A plain `select 1` keep-alive would succeed on a
 * fresh session that no longer holds the lock. So the keep-alive asks pg_locks whether THIS session
 * still holds it, and any failure or timeout counts as lost. The connection is then dropped, so the
 * server frees whatever the old session still held.
 */
import postgres from "postgres";
import { systemClock, type Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/log.ts";
import type { LeaderLock } from "../ports.ts";

/** Options of {@link createPgLeaderLock}. */
export interface PgLeaderLockOptions {
  url: string;
  /** The advisory lock key (int64). Every ingest node of one deployment must use the same one. */
  lockId: bigint | number;
  log: Logger;
  /** How often the holder checks that it still holds the lock; also the check's timeout. Default 2000. */
  keepAliveMs?: number;
  /** application_name of the lock's connection, to find it in pg_stat_activity. */
  applicationName?: string;
  clock?: Clock;
}

interface Session {
  sql: postgres.Sql;
  timer: unknown;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function toLockKey(lockId: bigint | number): bigint {
  if (typeof lockId === "number" && !Number.isSafeInteger(lockId)) throw new RangeError(`lockId must be an integer, got ${lockId}`);
  const key = BigInt(lockId);
  if (key < INT64_MIN || key > INT64_MAX) throw new RangeError(`lockId must fit in int64, got ${key}`);
  return key;
}

function withTimeout<T>(clock: Clock, promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => (clock.clearTimeout(timer), resolve(value)),
      (err: unknown) => (clock.clearTimeout(timer), reject(err)),
    );
  });
}

/**
 * Creates a PostgreSQL advisory leader lock. The connection opens on the first `tryAcquire` and
 * stays open while standing by. `release()` unlocks and closes it, and doubles as the shutdown
 * call. A later `tryAcquire` opens a new one.
 */
export function createPgLeaderLock(opts: PgLeaderLockOptions): LeaderLock {
  const key = toLockKey(opts.lockId);
  const keyText = key.toString();
  // pg_locks shows a bigint advisory key as classid = high 32 bits, objid = low 32 bits (unsigned).
  const unsigned = BigInt.asUintN(64, key);
  const classid = (unsigned >> 32n).toString();
  const objid = (unsigned & 0xffffffffn).toString();
  const clock = opts.clock ?? systemClock;
  const keepAliveMs = opts.keepAliveMs ?? 2_000;
  const log = opts.log.child({ component: "leader-lock", backend: "postgres", lockId: keyText });
  let session: Session | null = null;
  let held = false;

  const open = (): Session =>
    (session ??= {
      sql: postgres(opts.url, {
        max: 1,
        // Recycling the connection would silently drop the lock.
        max_lifetime: null,
        idle_timeout: 0,
        connect_timeout: 5,
        onnotice: () => {},
        connection: {
          application_name: opts.applicationName ?? "hyperlight-leader",
          // Server-side TCP keepalives: after a network cut (no RST) the server notices the dead
          // client in ~11 s and frees the lock. The default is hours.
          tcp_keepalives_idle: 5,
          tcp_keepalives_interval: 2,
          tcp_keepalives_count: 3,
        },
      }),
      timer: undefined,
    });

  /** Forgets the session (if it is still the current one) and closes its connection. */
  const drop = async (s: Session): Promise<void> => {
    if (session === s) {
      session = null;
      held = false;
    }
    if (s.timer !== undefined) clock.clearTimeout(s.timer);
    s.timer = undefined;
    await s.sql.end({ timeout: 0 }).catch(() => {});
  };

  const keepAlive = async (s: Session): Promise<void> => {
    s.timer = undefined;
    if (session !== s || !held) return;
    let reason: unknown = "advisory lock no longer held by this session";
    try {
      const rows = await withTimeout(
        clock,
        s.sql<{ held: boolean }[]>`
          select exists (
            select 1 from pg_locks
            where locktype = 'advisory' and pid = pg_backend_pid() and granted
              and classid = ${classid}::oid and objid = ${objid}::oid and objsubid = 1
          ) as held`,
        keepAliveMs,
      );
      if (session !== s) return;
      if (rows[0]?.held === true) {
        s.timer = clock.setTimeout(() => void keepAlive(s), keepAliveMs);
        return;
      }
    } catch (err) {
      reason = err;
    }
    if (session !== s) return;
    log.warn("leader.lock_lost", { err: reason });
    await drop(s);
  };

  return {
    kind: "postgres",
    get isLeader() {
      return held;
    },
    async tryAcquire() {
      // While held, the keep-alive does the checking; `held` turns false the moment it fails.
      if (held) return true;
      const s = open();
      try {
        const rows = await s.sql<{ ok: boolean }[]>`select pg_try_advisory_lock(${keyText}::bigint) as ok`;
        if (session !== s) return false; // released while we waited
        held = rows[0]?.ok === true;
      } catch (err) {
        await drop(s);
        throw err;
      }
      if (held) s.timer = clock.setTimeout(() => void keepAlive(s), keepAliveMs);
      return held;
    },
    async release() {
      const s = session;
      if (!s) return;
      const wasHeld = held;
      held = false;
      session = null;
      if (wasHeld) {
        // Closing the connection would free it too; unlocking first makes the hand-over immediate
        // even if the close is slow.
        await s.sql`select pg_advisory_unlock(${keyText}::bigint)`.catch((err: unknown) => log.warn("leader.unlock_failed", { err }));
      }
      await drop(s);
    },
  };
}
