import { afterAll, describe } from "bun:test";
import postgres from "postgres";
import { runMarketDataContract } from "../../src/store/contract.suite.ts";
import { runIdentityContract } from "../../src/store/identity.contract.ts";
import { runAccountsContract } from "../../src/store/accounts.contract.ts";
import { runSignalsContract } from "../../src/store/signals.contract.ts";
import { openPostgresStore } from "../../src/store/postgres/index.ts";
import { hasPostgres, PG_URL, uniqueName } from "../support/services.ts";

describe.skipIf(!hasPostgres)("postgres store", () => {
  // Each run lives in its own schemas, dropped at the end, so runs never see each other's data.
  const schema = uniqueName("store");
  const twinSchema = `${schema}_twin`;
  const identitySchema = `${schema}_identity`;
  const accountsSchema = `${schema}_accounts`;
  const signalsSchema = `${schema}_signals`;

  afterAll(async () => {
    const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; DROP SCHEMA IF EXISTS "${twinSchema}" CASCADE; DROP SCHEMA IF EXISTS "${identitySchema}" CASCADE; DROP SCHEMA IF EXISTS "${accountsSchema}" CASCADE; DROP SCHEMA IF EXISTS "${signalsSchema}" CASCADE`);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  runMarketDataContract("postgres", () => openPostgresStore({ url: PG_URL, schema, max: 4 }), {
    async openTwinsOnFreshStorage() {
      return Promise.all([
        openPostgresStore({ url: PG_URL, schema: twinSchema, max: 2 }),
        openPostgresStore({ url: PG_URL, schema: twinSchema, max: 2 }),
      ]);
    },
  });

  runIdentityContract("postgres", () => openPostgresStore({ url: PG_URL, schema: identitySchema, max: 8 }));

  runAccountsContract("postgres", () => openPostgresStore({ url: PG_URL, schema: accountsSchema, max: 4 }));

  runSignalsContract("postgres", () => openPostgresStore({ url: PG_URL, schema: signalsSchema, max: 8 }));
});
