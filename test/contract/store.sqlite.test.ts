import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runMarketDataContract } from "../../src/store/contract.suite.ts";
import { runIdentityContract } from "../../src/store/identity.contract.ts";
import { runAccountsContract } from "../../src/store/accounts.contract.ts";
import { runSignalsContract } from "../../src/store/signals.contract.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";

// A nested path that does not exist yet: the adapter must create the directory.
const dir = mkdtempSync(join(tmpdir(), "hyperlight-store-"));
const path = join(dir, "data", "market.db");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runMarketDataContract("sqlite", () => openSqliteStore({ path }), {
  async openTwinsOnFreshStorage() {
    const twin = join(dir, "twin.db");
    return [await openSqliteStore({ path: twin }), await openSqliteStore({ path: twin })];
  },
});

runIdentityContract("sqlite", () => openSqliteStore({ path: join(dir, "identity.db") }));

runAccountsContract("sqlite", () => openSqliteStore({ path: join(dir, "accounts.db") }));

runSignalsContract("sqlite", () => openSqliteStore({ path: join(dir, "signals.db") }));
