/**
 * Seeds the configured store with simulated Lighter history through the ingest path.
 *
 *   bun run scripts/seed-history.ts -- --hours 24            # the last 24 hours
 *   bun run scripts/seed-history.ts -- --from 2026-01-01 --to 2026-01-02
 *
 * Uses the same configuration as the service (DATA_DIR, DATABASE_URL, SIM_SEED, LOG_LEVEL).
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config";
import { parseTimeParam } from "../src/domain/time";
import { createLogger } from "../src/lib/log";
import { openStore } from "../src/store";
import { seedHistory } from "../src/ingest/seeder";
import { simHistorySource } from "../src/venues/lighter/sim/history-source";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    hours: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    "snapshot-every": { type: "string", default: "30000" },
    rate: { type: "string" },
  },
});

const config = loadConfig();
const log = createLogger({ level: config.logLevel });
const now = Date.now();
const from = values.from ? parseTimeParam(values.from) : now - Number(values.hours ?? 24) * 3_600_000;
const to = values.to ? parseTimeParam(values.to) : now;
if (from === null || to === null || from >= to) {
  console.error("usage: seed-history --hours N | --from <time> --to <time>  (ms, ISO-8601 or YYYY-MM-DD; from < to)");
  process.exit(2);
}
const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log });
try {
  const source = simHistorySource({ seed: config.simSeed, rate: values.rate ? Number(values.rate) : undefined });
  const reports = await seedHistory({
    store: store.marketData,
    dataDir: config.dataDir,
    log,
    source,
    windows: [{ label: `${new Date(from).toISOString()}…${new Date(to).toISOString()}`, from, to }],
    snapshotEveryMs: Number(values["snapshot-every"]),
  });
  for (const r of reports) console.log(JSON.stringify(r));
} finally {
  await store.close();
  await log.flush();
}
