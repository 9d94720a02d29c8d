/**
 * Versioned schema migrations, one ordered list per SQL dialect. Each file is `NNN_name.sql`;
 * its number is its version. Files are imported explicitly (not discovered on disk) so a bundled
 * or compiled build carries them, and so adding one is a reviewed one-line change here.
 *
 * Rules: never edit a migration that has shipped — add the next number. The runner records a
 * checksum per applied version and warns when a file changed after it was applied.
 */
import sqlite001 from "./sqlite/001_market_data.sql" with { type: "text" };
import postgres001 from "./postgres/001_market_data.sql" with { type: "text" };
import sqlite002 from "./sqlite/002_identity.sql" with { type: "text" };
import postgres002 from "./postgres/002_identity.sql" with { type: "text" };
import sqlite003 from "./sqlite/003_exchange_metrics.sql" with { type: "text" };
import postgres003 from "./postgres/003_exchange_metrics.sql" with { type: "text" };
import sqlite004 from "./sqlite/004_accounts.sql" with { type: "text" };
import postgres004 from "./postgres/004_accounts.sql" with { type: "text" };
import sqlite005 from "./sqlite/005_signals.sql" with { type: "text" };
import postgres005 from "./postgres/005_signals.sql" with { type: "text" };
import postgres006 from "./postgres/006_account_fills_partitioned.sql" with { type: "text" };

export interface Migration {
  /** 1, 2, 3… with no gaps; the order of application. */
  readonly version: number;
  /** From the file name, e.g. "market_data". */
  readonly name: string;
  readonly sql: string;
  /** sha256 of `sql` (hex, 16 chars): detects a migration edited after it was applied. */
  readonly checksum: string;
}

const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** Builds the ordered list from `[fileName, sql]` pairs, checking numbering is 1..n with no gaps. */
export function defineMigrations(files: ReadonlyArray<readonly [fileName: string, sql: string]>): readonly Migration[] {
  const list = files.map(([file, sql]) => {
    const m = FILE_NAME.exec(file);
    if (!m) throw new Error(`migration file name must look like 001_name.sql: ${file}`);
    const checksum = new Bun.CryptoHasher("sha256").update(sql).digest("hex").slice(0, 16);
    return { version: Number(m[1]), name: m[2] ?? "", sql, checksum };
  });
  list.sort((a, b) => a.version - b.version);
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations must be numbered 1..n without gaps; found ${m.version} at position ${i + 1}`);
  });
  return Object.freeze(list);
}

/** Which versions still have to run, given the ones recorded as applied. */
export function pendingMigrations(all: readonly Migration[], applied: ReadonlySet<number>): Migration[] {
  return all.filter((m) => !applied.has(m.version));
}

/** A label for logs and for `migrate()`'s result: "001_market_data". */
export const migrationLabel = (m: Migration): string => `${String(m.version).padStart(3, "0")}_${m.name}`;

export const SQLITE_MIGRATIONS = defineMigrations([
  ["001_market_data.sql", sqlite001],
  ["002_identity.sql", sqlite002],
  ["003_exchange_metrics.sql", sqlite003],
  ["004_accounts.sql", sqlite004],
  ["005_signals.sql", sqlite005],
]);
export const POSTGRES_MIGRATIONS = defineMigrations([
  ["001_market_data.sql", postgres001],
  ["002_identity.sql", postgres002],
  ["003_exchange_metrics.sql", postgres003],
  ["004_accounts.sql", postgres004],
  ["005_signals.sql", postgres005],
  ["006_account_fills_partitioned.sql", postgres006],
]);

/** A row of `schema_migrations` as the runners read it. */
export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Versions whose recorded checksum no longer matches the file: someone edited a shipped
 * migration. The runners log these (they cannot undo what already ran) rather than refuse to start.
 */
export function driftedMigrations(all: readonly Migration[], applied: readonly AppliedMigration[]): string[] {
  const byVersion = new Map(all.map((m) => [m.version, m]));
  return applied
    .filter((a) => {
      const m = byVersion.get(a.version);
      return m !== undefined && m.checksum !== a.checksum;
    })
    .map((a) => `${String(a.version).padStart(3, "0")}_${a.name}`);
}
