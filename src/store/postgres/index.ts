/**
 * The shared store: PostgreSQL through a postgres.js pool, with day/month-partitioned trades and
 * book snapshots. Several nodes can use one database; `schema` isolates a store (tests, or
 * several deployments in one database).
 */
import type { Logger } from "../../lib/log.ts";
import { POSTGRES_MIGRATIONS } from "../migrations/index.ts";
import type { Store, StoreCapabilities } from "../ports.ts";
import { createPool, quoteIdent } from "./client.postgres.ts";
import { createPostgresIdentity } from "./identity.postgres.ts";
import { createPostgresAccounts } from "./accounts.postgres.ts";
import { createPostgresMarketData } from "./market-data.postgres.ts";
import { createSecretBox } from "../signals.shared.ts";
import { createPostgresSignals } from "./signals.postgres.ts";
import { ensureSchema, migratePostgres } from "./migrate.postgres.ts";
import { Partitions } from "./partitions.postgres.ts";

export interface PostgresStoreOptions {
  /** postgres://user@host:port/database */
  url: string;
  /**
   * Schema to live in: created if missing and made the connections' whole search_path. Unset,
   * the server's default search_path applies (usually "public") and nothing is created.
   */
  schema?: string;
  /** Pool size. Default 10. */
  max?: number;
  log?: Logger;
  /** Seals webhook channel secrets at rest (AES-256-GCM); unset: stored as given. */
  webhookSecretKey?: string;
}

/** Time-partitioned tables, and a database that many processes share. */
const CAPABILITIES: StoreCapabilities = Object.freeze({ partitioned: true, shared: true });

/**
 * Connects, creates the schema if one is named, and checks the server answers. Does not migrate:
 * call `migrate()` (openStore does).
 */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  const log = opts.log?.child({ component: "store", backend: "postgres", ...(opts.schema ? { schema: opts.schema } : {}) });
  const quotedSchema = opts.schema === undefined ? undefined : quoteIdent(opts.schema);
  const sql = createPool({ url: opts.url, schema: opts.schema, max: opts.max, log });
  try {
    if (quotedSchema) await ensureSchema(sql, quotedSchema);
    // Fails fast on a wrong URL or credentials, rather than on the first real query.
    await sql`SELECT 1`;
  } catch (err) {
    await sql.end({ timeout: 1 });
    throw err;
  }
  const partitions = new Partitions(sql, log);
  let closed = false;

  return {
    kind: "postgres",
    capabilities: CAPABILITIES,
    marketData: createPostgresMarketData(sql, partitions),
    identity: createPostgresIdentity(sql),
    signals: createPostgresSignals(sql, createSecretBox(opts.webhookSecretKey)),
    accounts: createPostgresAccounts(sql, partitions),
    migrate() {
      return migratePostgres(sql, POSTGRES_MIGRATIONS, log);
    },
    async ping() {
      await sql`SELECT 1`;
    },
    async close() {
      if (closed) return;
      closed = true;
      // Lets in-flight queries finish (up to 5 s), then closes every connection.
      await sql.end({ timeout: 5 });
    },
  };
}
