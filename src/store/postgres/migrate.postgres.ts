/**
 * Applies PostgreSQL migrations in one transaction holding a transaction-level advisory lock.
 * Two processes starting together (api nodes, a standby ingest) both call this: the second blocks
 * on the lock until the first commits, then reads the ledger and finds nothing pending. PostgreSQL
 * DDL is transactional, so a failed migration rolls back whole and the lock is released with it.
 */
import type { Logger } from "../../lib/log.ts";
import {
  type AppliedMigration,
  type Migration,
  driftedMigrations,
  migrationLabel,
  pendingMigrations,
} from "../migrations/index.ts";
import { type Pool, pgCode } from "./client.postgres.ts";

/**
 * First key of the two-int4 advisory lock (arbitrary, "HLmg"); the second is the schema's hash,
 * so isolated schemas (tests) do not wait on each other. The two-key space never collides with
 * single-bigint advisory keys such as a leader lock.
 */
const MIGRATION_LOCK_CLASS = 0x484c6d67;

const CREATE_LEDGER = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

/** Runs the pending migrations of `all` in the pool's current schema (its search_path). */
export async function migratePostgres(sql: Pool, all: readonly Migration[], log?: Logger): Promise<{ applied: string[] }> {
  const applied = await sql.begin(async (tx) => {
    // coalesce: with a NULL key the (strict) lock function would return without locking anything.
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_CLASS}::int4, hashtext(coalesce(current_schema(), '')))`;
    await tx.unsafe(CREATE_LEDGER);
    const rows = await tx<AppliedMigration[]>`SELECT version, name, checksum FROM schema_migrations`;
    const drifted = driftedMigrations(all, rows);
    if (drifted.length > 0) log?.warn("store.migrations.drift", { drifted });

    const done: string[] = [];
    for (const m of pendingMigrations(all, new Set(rows.map((r) => r.version)))) {
      // No parameters → simple-query protocol, which accepts a file of several statements.
      await tx.unsafe(m.sql);
      await tx`INSERT INTO schema_migrations (version, name, checksum) VALUES (${m.version}, ${m.name}, ${m.checksum})`;
      done.push(migrationLabel(m));
    }
    return done;
  });
  if (applied.length > 0) log?.info("store.migrations.applied", { backend: "postgres", applied });
  return { applied };
}

/**
 * Creates `schema` if missing. Concurrent creators can collide on the catalog's unique index even
 * with IF NOT EXISTS; the loser's error means the schema exists, which is all we need.
 */
export async function ensureSchema(sql: Pool, quotedSchema: string): Promise<void> {
  try {
    await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${quotedSchema}`);
  } catch (err) {
    const code = pgCode(err);
    if (code !== "42P06" && code !== "23505") throw err;
  }
}
