/**
 * Standalone Lighter simulator: `bun run sim -- --port 9000 --seed 7 --rate 1000`.
 * Prints its REST and WS URLs (with `--json`, one JSON line: {url, wsUrl, port, seed}) and runs
 * until interrupted.
 */
import { parseArgs } from "node:util";
import { startSimulator, type FaultOptions } from "../src/venues/lighter/sim/index.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    seed: { type: "string", default: "1" },
    rate: { type: "string", default: "200" },
    accounts: { type: "string", default: "2000" },
    markets: { type: "string" },
    history: { type: "string", default: "0" },
    drop: { type: "string" },
    duplicate: { type: "string" },
    reorder: { type: "string" },
    "disconnect-every": { type: "string" },
    stall: { type: "string" },
    "stall-every": { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(`usage: bun run sim -- [--port 0] [--host 127.0.0.1] [--seed 1] [--rate 200] [--accounts 2000]
       [--markets 0,1,2] [--history 1h] [--drop pct] [--duplicate pct] [--reorder pct]
       [--disconnect-every 30s] [--stall 5s] [--stall-every 60s] [--json]`);
  process.exit(0);
}

/** "1500", "30s", "5m", "2h" → ms. */
function duration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? "ms") as "ms"];
  return Number(m[1]) * unit;
}

const num = (text: string | undefined): number | undefined => (text === undefined ? undefined : Number(text));

const faults: FaultOptions = {
  dropDeltaPct: num(values.drop),
  duplicateDeltaPct: num(values.duplicate),
  reorderDeltaPct: num(values.reorder),
  disconnectEveryMs: duration(values["disconnect-every"]),
  stallMs: duration(values.stall),
  stallEveryMs: duration(values["stall-every"]),
};

const sim = await startSimulator({
  port: Number(values.port),
  host: values.host,
  seed: Number(values.seed),
  rate: Number(values.rate),
  accounts: Number(values.accounts),
  markets: values.markets?.split(",").map(Number),
  historyMs: duration(values.history),
  faults: Object.values(faults).some((v) => v !== undefined) ? faults : undefined,
  // Nothing in a standalone process can read the test-only ground truth: don't record it.
  truthHistory: 0,
});

if (values.json) {
  console.log(JSON.stringify({ url: sim.url, wsUrl: sim.wsUrl, port: sim.port, seed: sim.seed }));
} else {
  console.log(`Lighter simulator (seed ${sim.seed}, ${sim.rate} events/s)`);
  console.log(`  REST ${sim.url}/api/v1/orderBooks`);
  console.log(`  WS   ${sim.wsUrl}`);
}

const shutdown = async () => {
  await sim.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
