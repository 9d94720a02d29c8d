/**
 * The embedded store: one SQLite file (or ":memory:") through bun:sqlite, in WAL mode.
 */
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { isMainThread } from "node:worker_threads";
import type { Logger } from "../../lib/log.ts";
import { SQLITE_MIGRATIONS } from "../migrations/index.ts";
import type { Store, StoreCapabilities } from "../ports.ts";
import { createSqliteIdentity } from "./identity.sqlite.ts";
import { createSqliteAccounts } from "./accounts.sqlite.ts";
import { createSqliteMarketData } from "./market-data.sqlite.ts";
import { createSecretBox } from "../signals.shared.ts";
import { createSqliteSignals } from "./signals.sqlite.ts";
import { migrateSqlite } from "./migrate.sqlite.ts";
import { startBackgroundCheckpoints, type BackgroundCheckpoints } from "./checkpointer.ts";

export interface SqliteStoreOptions {
  /** Database file path (its directory is created if missing), or ":memory:". */
  path: string;
  log?: Logger;
  /** How long a writer waits for another process's lock before failing (ms). Default 5000. */
  busyTimeoutMs?: number;
  /** Seals webhook channel secrets at rest (AES-256-GCM); unset: stored as given. */
  webhookSecretKey?: string;
  /**
   * Where WAL checkpoints run: "background" on a worker thread (checkpointer.ts), so no commit on
   * this thread pays for one; "inline" is SQLite's auto-checkpoint. Default: "background" for a
   * file opened on the main thread, "inline" otherwise (a reader thread leaves it to the owner).
   */
  walCheckpoints?: "background" | "inline";
}

/** A single file owned by one process: no partitions, no sharing between nodes. */
const CAPABILITIES: StoreCapabilities = Object.freeze({ partitioned: false, shared: false });

/**
 * Opens (creating if needed) the SQLite store. Does not migrate: call `migrate()` (openStore
 * does), so a caller can decide when schema changes happen.
 */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  const inMemory = opts.path === ":memory:" || opts.path === "";
  if (!inMemory) mkdirSync(dirname(opts.path), { recursive: true });
  const db = new Database(opts.path, { create: true, readwrite: true });
  try {
    // busy_timeout first, so the journal-mode switch itself waits for a concurrent opener.
    db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 5000))}`);
    // WAL: readers never block the writer. synchronous=NORMAL is durable against process crashes
    // and consistent after power loss (only the last commits can be lost) — the usual WAL pairing.
    if (!inMemory) db.run("PRAGMA journal_mode = WAL");
    db.run("PRAGMA synchronous = NORMAL");
    db.run("PRAGMA foreign_keys = ON");
  } catch (err) {
    db.close();
    throw err;
  }
  const log = opts.log?.child({ component: "store", backend: "sqlite" });
  let closed = false;
  const background = !inMemory && (opts.walCheckpoints ?? (isMainThread ? "background" : "inline")) === "background";
  const checkpoints: BackgroundCheckpoints | null = background ? startBackgroundCheckpoints(db, opts.path, { log }) : null;

  return {
    kind: "sqlite",
    capabilities: CAPABILITIES,
    marketData: createSqliteMarketData(db),
    identity: createSqliteIdentity(db),
    accounts: createSqliteAccounts(db),
    signals: createSqliteSignals(db, createSecretBox(opts.webhookSecretKey)),
    async migrate() {
      return migrateSqlite(db, SQLITE_MIGRATIONS, log);
    },
    async ping() {
      if (closed) throw new Error("sqlite store is closed");
      db.query("SELECT 1").get();
    },
    async close() {
      if (closed) return;
      closed = true;
      await checkpoints?.stop();
      // throwOnError=true finalizes our cached statements so the connection really closes now
      // (sqlite then checkpoints the WAL into the main file), instead of whenever GC runs.
      db.close(true);
    },
  };
}
