/**
 * Applies SQLite migrations inside one `BEGIN IMMEDIATE` transaction. IMMEDIATE takes the
 * database's write lock before reading `schema_migrations`, so two processes starting on the same
 * file serialize here (the second waits up to busy_timeout, then sees everything applied); and
 * SQLite DDL is transactional, so a failing migration leaves nothing half-applied.
 */
import type { Database } from "bun:sqlite";
import type { Logger } from "../../lib/log.ts";
import {
  type AppliedMigration,
  type Migration,
  driftedMigrations,
  migrationLabel,
  pendingMigrations,
} from "../migrations/index.ts";

const CREATE_LEDGER = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  ) STRICT`;

/** Runs the pending migrations of `all`; returns the labels of those it applied ([] when none). */
export function migrateSqlite(db: Database, all: readonly Migration[], log?: Logger): { applied: string[] } {
  const run = db.transaction(() => {
    db.run(CREATE_LEDGER);
    const applied = db.query<AppliedMigration, []>("SELECT version, name, checksum FROM schema_migrations").all();
    const drifted = driftedMigrations(all, applied);
    if (drifted.length > 0) log?.warn("store.migrations.drift", { drifted });

    const record = db.prepare("INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)");
    const done: string[] = [];
    for (const m of pendingMigrations(all, new Set(applied.map((a) => a.version)))) {
      db.run(m.sql);
      record.run(m.version, m.name, m.checksum);
      done.push(migrationLabel(m));
    }
    record.finalize();
    return done;
  });
  const applied = run.immediate();
  if (applied.length > 0) log?.info("store.migrations.applied", { backend: "sqlite", applied });
  return { applied };
}
