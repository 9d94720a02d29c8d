/**
 * The account-tracking thread's lifecycle against the simulator on the real clock: a thread that
 * dies is replaced, and the new one, which starts from the saved accounts and the market list, goes
 * on applying the venue's fills; what the old thread's run left in the node is let go.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import { createDeps, type Deps } from "../../src/deps";
import { systemClock } from "../../src/lib/clock";
import { createLogger, memorySink } from "../../src/lib/log";
import { createRecorder, type Recorder } from "../../src/recorder";
import { LighterClient } from "../../src/venues/lighter/client";
import { startSimulator, type SimHandle } from "../../src/venues/lighter/sim";
import { createAccountWorker, spawnAccountThread, type AccountWorker } from "../../src/ingest/account-worker";
import { isTrackerEvent } from "../../src/ingest/accounts-ingest";
import { tempDir } from "../support/process";
import { until } from "../support/sim-world";

const dataDir = tempDir("account-worker");
const sink = memorySink();
const log = createLogger({ level: "info", sink });
const threads: Worker[] = [];
let sim: SimHandle;
let deps: Deps;
let client: LighterClient;
let recorder: Recorder;
let accounts: AccountWorker;

beforeAll(async () => {
  sim = await startSimulator({ seed: 11, markets: [0, 1], rate: 80, accounts: 300 });
  const config = loadConfig({
    DATA_DIR: dataDir, LIGHTER_URL: sim.url, LIGHTER_MARKETS: "0,1", LOG_LEVEL: "info",
    ACCOUNT_PUBLISH_MS: "50", ACCOUNT_REFRESH_PER_MINUTE: "6000",
  });
  deps = await createDeps(config, log, systemClock);
  recorder = createRecorder({ store: deps.store.marketData, accounts: deps.store.accounts, dataDir, clock: systemClock, log });
  client = new LighterClient({ restUrl: sim.url, wsUrl: sim.wsUrl, markets: [0, 1], log, clock: systemClock, deferAccountFrames: true });
  accounts = createAccountWorker({
    venue: "lighter", config, deps, clock: systemClock, log, recorder, client, restUrl: sim.url, source: "simulator",
    spawn: () => {
      const w = spawnAccountThread();
      threads.push(w);
      return w;
    },
  });
  client.on((e) => {
    if (isTrackerEvent(e)) accounts.onEvents([e]);
  });
  void client.start();
}, 30_000);

afterAll(async () => {
  await accounts?.stop();
  client?.stop();
  await recorder?.close();
  await deps?.close();
  await sim?.stop();
});

/** The newest fill time among the tracked accounts (ms; 0 with none). */
const newestUpdate = () => {
  let newest = 0;
  for (const v of accounts.model.withPositions()) newest = Math.max(newest, v.account.updatedAt);
  return newest;
};

test("a thread that dies is replaced; the new one knows the markets and keeps applying fills", async () => {
  await until("accounts with positions read from the thread", () => accounts.model.available && accounts.model.markets().length === 2 && newestUpdate() > 0, 20_000);
  const firstRun = accounts.run;
  expect(firstRun).not.toBeNull();
  expect(accounts.restarts).toBe(0);

  threads[0]!.terminate();
  await until("a new thread's run", () => accounts.run !== null && accounts.run !== firstRun, 20_000);
  expect(accounts.restarts).toBe(1);
  expect(threads.length).toBe(2);
  await log.flush();
  expect(sink.lines.some((l) => l.includes("the tracker thread stopped; starting a new one"))).toBe(true);

  // The market list reached the new thread: marks, positions and fills carry on after the switch.
  const switchedAt = Date.now();
  await until("fills and marks applied by the new thread", () => accounts.model.markets().length === 2 && newestUpdate() > switchedAt && (accounts.model.mark(0) ?? 0) > 0, 20_000);
}, 60_000);

test("an account frame the thread cannot read is counted with the venue client's malformed frames", async () => {
  const before = client.stats.malformedFrames;
  accounts.onEvents([{ type: "account.frame", text: '{"type":"update/account_all","channel":"account_all:1"', ts: Date.now() }]);
  await until("the malformed frame counted", () => client.stats.malformedFrames === before + 1, 10_000);
  await log.flush();
  expect(sink.lines.some((l) => l.includes("lighter: malformed frame") && l.includes("deferred account_all"))).toBe(true);
});
