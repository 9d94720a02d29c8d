/**
 * End to end, on PostgreSQL: while the trades table is unavailable the recorder keeps the node
 * running, a graceful stop spills what it could not write to the journal in DATA_DIR, and the next
 * start drains it once the table is back — every venue trade then stored exactly once. (The
 * recorder's own suite covers the journal in depth: SIGKILL mid-spill, torn tails, ordering.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { hasPostgres, PG_URL, uniqueName } from "../support/services";
import { SimWorld, until } from "../support/sim-world";

const T0 = Date.UTC(2026, 0, 15, 14, 0, 5);

describe.skipIf(!hasPostgres)("the recorder journal, end to end (PostgreSQL)", () => {
  const database = uniqueName("hl_journal").toLowerCase();
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  let db: postgres.Sql;
  const world = new SimWorld({ start: T0, markets: [0], seed: 37, rate: 60, stepMs: 100, env: { DATABASE_URL: url.toString() } });

  beforeAll(async () => {
    await admin.unsafe(`CREATE DATABASE ${database}`);
    db = postgres(url.toString(), { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await world.close();
    await db?.end({ timeout: 1 });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  const storedIds = async () => {
    const ids: number[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await world.get<{ trades: { trade_id: number }[] }>(`/api/v1/trades/by-time?market_id=0&start=${T0 - 60_000}&end=${T0 + 120_000}&limit=1000&offset=${offset}`);
      ids.push(...page.trades.map((t) => t.trade_id));
      if (page.trades.length < 1000) return ids;
    }
  };

  test("trades that could not be written are journaled at stop and drained on the next start, each once", async () => {
    // Arrange: the node ingests for 10 s, then the trades table goes away for 10 s.
    await world.startSimulator();
    await world.startService();
    await world.runUntil(T0 + 10_000);
    await db.unsafe("ALTER TABLE trades RENAME TO trades_offline");
    await world.runUntil(T0 + 20_000);

    // Act: a graceful stop (service time moves, so the recorder's close deadline can pass).
    world.freezeVenue(100);
    await world.stopService();
    await world.stopPump();
    const journal = join(world.dataDir, "journal");
    const segments = readdirSync(journal).filter((f) => f.endsWith(".jnl"));
    expect(segments.length).toBeGreaterThan(0);
    await db.unsafe("ALTER TABLE trades_offline RENAME TO trades");
    await world.startService();
    world.freezeVenue();

    // Assert: every trade the venue made is stored once, and the journal is gone.
    try {
      const truth = (world.trades.get(0) ?? []).map((t) => t.tradeId).sort((a, b) => a - b);
      expect(truth.length).toBeGreaterThan(100);
      const stored = await until(`all ${truth.length} venue trades stored`, async () => {
        const ids = await storedIds();
        return ids.length >= truth.length ? ids : undefined;
      });
      expect(stored).toEqual(truth);
      await until("the journal drained", () => readdirSync(journal).filter((f) => f.endsWith(".jnl")).length === 0);
    } finally {
      await world.stopPump();
    }
  }, 30_000);
});
