/**
 * Account tracking on its own thread (the default, ACCOUNT_THREAD=worker), end to end on the real
 * clock: the simulator trades for a few seconds, then stops; the service's answers for every
 * tracked account with a position must come to equal the venue's own (its REST `account`), through
 * the worker, its publisher and this node's replica. On stop the worker's final save reaches the
 * store through the main thread, and a restarted node answers the same.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import { startService, type RunningService } from "../../src/service";
import { startSimulator, type SimHandle } from "../../src/venues/lighter/sim";
import { openSqliteStore } from "../../src/store";
import { silentLogger } from "../../src/lib/log";
import { provisionApiKey, TEST_ADMIN_TOKEN } from "../support/api-key";
import { tempDir } from "../support/process";
import { until } from "../support/sim-world";
import { authedWs } from "../support/ws-client";
import { assertSameAsVenue, ofOurs, type WireAccount } from "../support/account-truth";

const dataDir = tempDir("accounts-worker");
let sim: SimHandle;
let service: RunningService | undefined;
let key = "";

const start = async () => {
  const config = loadConfig({
    PORT: "0", HOST: "127.0.0.1", ROLE: "all", DATA_DIR: dataDir, LOG_LEVEL: "silent", ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    LIGHTER_URL: sim.url, LIGHTER_WS_URL: sim.wsUrl, LIGHTER_MARKETS: "0,1",
    ACCOUNT_REFRESH_PER_MINUTE: "6000", ACCOUNT_PUBLISH_MS: "50", SEED_HOURS: "0", ACCOUNT_PERSIST_MS: "3600000", WS_HEATMAP_INTERVAL_MS: "200",
  });
  expect(config.accountThread).toBe("worker");
  service = await startService(config, { log: silentLogger() });
  key ||= await provisionApiKey(service.url);
  return service;
};

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(service!.url + path, { method: "POST", headers: { "x-api-key": key, "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: T }).data;
}

async function get<T>(path: string): Promise<{ status: number; data: T }> {
  const res = await fetch(service!.url + path, { headers: { "x-api-key": key } });
  return { status: res.status, data: ((await res.json()) as { data: T }).data };
}

/** Tracked accounts with open positions (exchange top, every row). */
const trackedWithPositions = async () => (await get<{ accounts: { account_index: number }[] }>("/api/v1/exchange/top-accounts?limit=5000")).data?.accounts.map((a) => a.account_index) ?? [];

beforeAll(async () => {
  sim = await startSimulator({ seed: 23, markets: [0, 1], rate: 80, accounts: 300 });
  await start();
}, 30_000);

afterAll(async () => {
  await service?.stop();
  await sim?.stop();
});

test("every tracked account with a position comes to equal the venue's; the final save holds every one; a restart answers the same", async () => {
  // The venue trades until the node tracks a fair number of accounts with positions, then stops.
  await until("tracked accounts with positions", async () => ((await trackedWithPositions()).length > 20 ? true : undefined), 20_000);
  sim.pause();
  // A difference is thrown, so the last one is shown if they never come to agree.
  const ids = await until("every tracked account equal to the venue's", async () => {
    const list = await trackedWithPositions();
    const batch = await post<{ accounts: WireAccount[] }>("/api/v1/accounts/batch", { accounts: list, fills_limit: 1 });
    const notLive = batch.accounts.filter((a) => a.status !== "live");
    if (notLive.length > 0) throw new Error(`not live: ${JSON.stringify(notLive.map((a) => [a.account_index, a.status]))}`);
    for (const ours of batch.accounts) await assertSameAsVenue(sim.url, ours);
    return list;
  }, 30_000);
  expect(ids.length).toBeGreaterThan(20);

  // The WebSocket heatmap is computed from the same state: its buckets hold what REST's hold.
  const rest = await get<{ mark_price: string; buckets: { long_liquidation_usd: string; short_liquidation_usd: string }[] }>("/api/v1/liquidation-heatmap/0");
  const ws = await authedWs(service!.url.replace(/^http/, "ws") + "/ws", key);
  try {
    ws.send({ type: "subscribe", channel: "liquidation_heatmap/0" });
    const frame = await ws.next((f) => f.type === "liquidation_heatmap_update", 10_000);
    const update = frame.liquidation_heatmap as { market_id: number; mark_price: string; buckets: { long_liquidation_usd: string; short_liquidation_usd: string }[] };
    const total = (bs: typeof update.buckets) => bs.reduce((sum, b) => sum + Number(b.long_liquidation_usd) + Number(b.short_liquidation_usd), 0);
    expect(update.market_id).toBe(0);
    expect(update.mark_price).toBe(rest.data.mark_price);
    expect(total(update.buckets)).toBeGreaterThan(0);
    expect(total(update.buckets)).toBeCloseTo(total(rest.data.buckets), 2);
  } finally {
    ws.close();
  }

  // An account nobody tracks yet: the request reaches the thread, which loads it from the venue.
  const ghost = sim.truth.accounts().find((a) => !ids.includes(a.index) && a.positions.length > 0)!.index;
  const first = await post<{ accounts: WireAccount[]; errors: { account: number; code: string }[] }>("/api/v1/accounts/batch", { accounts: [ghost] });
  expect(first.errors).toEqual([expect.objectContaining({ account: ghost, code: "account_not_tracked" })]);
  await until("the requested account loaded", async () => {
    const [ours] = (await post<{ accounts: WireAccount[] }>("/api/v1/accounts/batch", { accounts: [ghost], fills_limit: 1 })).accounts;
    if (!ours || ours.status !== "live") throw new Error(`not live yet: ${JSON.stringify(ours?.status)}`);
    await assertSameAsVenue(sim.url, ours);
    return true;
  }, 20_000);

  // The final save goes through the main thread's store before it closes.
  const before = await post<{ accounts: WireAccount[] }>("/api/v1/accounts/batch", { accounts: ids, fills_limit: 1 });
  await service!.stop();
  service = undefined;
  const store = await openSqliteStore({ path: `${dataDir}/hyperlight.db` });
  const saved = await store.accounts.listTrackedAccounts("lighter");
  await store.close();
  // Saves are hourly here: what is saved, the last account loaded included, is the final save's.
  for (const id of [...ids, ghost]) expect(saved.some((a) => a.accountId === id)).toBe(true);

  // A restarted node (its thread restores the saved accounts, then refreshes them from the venue)
  // answers the same while the venue is still stopped.
  await start();
  const after = await until("the saved accounts served again", async () => {
    const r = await post<{ accounts: WireAccount[] }>("/api/v1/accounts/batch", { accounts: ids, fills_limit: 1 });
    return r.accounts.every((a) => a.collateral !== null) ? r : undefined;
  }, 20_000);
  expect(after.accounts.map(ofOurs)).toEqual(before.accounts.map(ofOurs));
}, 90_000);
