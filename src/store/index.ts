/**
 * Store selection: the embedded SQLite file by default, PostgreSQL when a database URL is
 * configured. Both are migrated before they are handed out.
 */
import { join } from "node:path";
import type { Logger } from "../lib/log.ts";
import type { Store } from "./ports.ts";
import { openPostgresStore } from "./postgres/index.ts";
import { openSqliteStore } from "./sqlite/index.ts";

export interface OpenStoreOptions {
  /** PostgreSQL URL; unset (or empty) selects SQLite. */
  databaseUrl?: string;
  /** Directory of the SQLite file (`hyperlight.db`); created if missing. */
  dataDir: string;
  log: Logger;
  /** Seals webhook channel secrets at rest when set (WEBHOOK_SECRET_KEY). */
  webhookSecretKey?: string;
}

/** Opens the configured store and applies pending migrations; closes it again if they fail. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const store = opts.databaseUrl
    ? await openPostgresStore({ url: opts.databaseUrl, log: opts.log, webhookSecretKey: opts.webhookSecretKey })
    : await openSqliteStore({ path: join(opts.dataDir, "hyperlight.db"), log: opts.log, webhookSecretKey: opts.webhookSecretKey });
  try {
    const { applied } = await store.migrate();
    opts.log.info("store.ready", { backend: store.kind, migrationsApplied: applied.length });
    return store;
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
}

export type { Store } from "./ports.ts";
export { openPostgresStore, type PostgresStoreOptions } from "./postgres/index.ts";
export { openSqliteStore, type SqliteStoreOptions } from "./sqlite/index.ts";
