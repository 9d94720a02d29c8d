/**
 * Account routes on a ROLE=api node, with real processes: an ingest leader and an api node share
 * PostgreSQL and Redis; the venue is a simulator in this process, so the test can hold it still.
 * With the venue held still, the api node comes to serve exactly what the leader serves — accounts'
 * positions, margin figures, liquidation prices, open orders, and the risk views — and follows the
 * state after the venue trades again; accounts the api node is asked about first reach the
 * leader's tracker through Redis. (The freshness bound itself, one publish plus one poll, is shown
 * on a manual clock in src/ingest/account-replica.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import postgres from "postgres";
import { startSimulator, type SimHandle } from "../../src/venues/lighter/sim";
import { hasPostgres, hasRedis, PG_URL, REDIS_URL, uniqueName } from "../support/services";
import { spawnService, tempDir, type ServiceProcess } from "../support/process";
import { provisionApiKey, TEST_ADMIN_TOKEN } from "../support/api-key";
import { until } from "../support/sim-world";

const PUBLISH_MS = 100;

interface Reply { status: number; body: { data: Record<string, unknown> & { accounts?: Record<string, unknown>[]; errors?: { account: number; code: string }[] } } }

describe.skipIf(!hasPostgres || !hasRedis)("accounts on api nodes (PostgreSQL + Redis, two processes)", () => {
  const database = uniqueName("hl_e2e_acct").toLowerCase();
  const pgUrl = new URL(PG_URL);
  pgUrl.pathname = `/${database}`;
  // Its own Redis database: other multi-node suites use 1–14.
  const redisUrl = `${REDIS_URL.replace(/\/\d*$/, "")}/15`;
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  const procs: ServiceProcess[] = [];
  const dirs: string[] = [];
  let sim: SimHandle;
  let leader = "";
  let api = "";
  let key = "";

  const start = async (role: string) => {
    const dir = tempDir(`acct-${role}`);
    dirs.push(dir);
    const p = spawnService({
      ROLE: role, DATABASE_URL: pgUrl.toString(), REDIS_URL: redisUrl, DATA_DIR: dir, LIGHTER_URL: sim.url, LIGHTER_WS_URL: sim.wsUrl, LIGHTER_MARKETS: "0,1",
      ADMIN_TOKEN: TEST_ADMIN_TOKEN, ACCOUNT_PUBLISH_MS: String(PUBLISH_MS), ACCOUNT_FULL_SNAPSHOT_MS: "2000", ACCOUNT_REFRESH_PER_MINUTE: "6000",
    });
    procs.push(p);
    return `http://127.0.0.1:${await p.port()}`;
  };
  const call = async (base: string, method: "GET" | "POST", path: string, body?: unknown): Promise<Reply> => {
    const res = await fetch(base + path, { method, headers: { "x-api-key": key, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Reply["body"] };
  };
  /** The batch answer without request-specific parts (meta). */
  const batch = async (base: string, ids: number[]) => {
    const r = await call(base, "POST", "/api/v1/accounts/batch", { accounts: ids, include: ["positions", "orders"] });
    return r.status === 200 ? JSON.stringify(r.body.data) : `HTTP ${r.status}`;
  };
  /**
   * Waits until the api node answers `path` exactly as the leader does (asked one after the other),
   * with the venue held still; on a timeout, fails showing where the two answers differ.
   */
  const sameOnBoth = async (what: string, ask: (base: string) => Promise<string>): Promise<string> => {
    let last = { leader: "", api: "" };
    const agreed = await until(what, async () => {
      last = { leader: await ask(leader), api: await ask(api) };
      return last.leader === last.api ? last.leader : undefined;
    }, 15_000).catch(() => undefined);
    if (agreed === undefined) expect(JSON.parse(last.api)).toEqual(JSON.parse(last.leader));
    return last.leader;
  };
  const get = (path: string) => async (base: string) => {
    const r = await call(base, "GET", path);
    return JSON.stringify({ status: r.status, data: strip(r.body.data) });
  };
  let trades = 0;

  beforeAll(async () => {
    await admin.unsafe(`CREATE DATABASE ${database}`);
    sim = await startSimulator({ seed: 11, markets: [0, 1], rate: 150, accounts: 300 });
    sim.onEvent((e) => void (e.type === "trades" && (trades += e.trades.length)));
    leader = await start("ingest");
    key = await provisionApiKey(leader);
    api = await start("api");
  }, 30_000);
  afterAll(async () => {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    await sim?.stop();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("while the venue holds still the api node serves the leader's batch answer, and follows it after the venue trades", async () => {
    const ids = await until("20 tracked accounts with known collateral on the leader", async () => {
      const top = await call(leader, "GET", "/api/v1/exchange/top-accounts?limit=5000");
      const list = ((top.body.data.accounts ?? []) as { account_index: number; total_asset_value: string | null }[]).filter((a) => a.total_asset_value !== null);
      return list.length >= 20 ? list.map((a) => a.account_index).slice(0, 200) : undefined;
    }, 30_000);

    const answers: string[] = [];
    for (let round = 0; round < 2; round++) {
      sim.pause();
      const both = await sameOnBoth("the api node to serve the leader's batch", (base) => batch(base, ids));
      const accounts = (JSON.parse(both) as { accounts: { positions: unknown[]; open_orders: unknown }[] }).accounts;
      expect(accounts.length).toBe(ids.length);
      expect(accounts.filter((a) => a.positions.length > 0).length).toBeGreaterThan(10);
      answers.push(both);
      sim.resume();
      // Let the venue trade before the second round, which then compares a state that moved.
      const before = trades;
      await until("the venue to trade", () => trades >= before + 100, 20_000);
    }
    expect(answers[1]).not.toBe(answers[0]);
  }, 90_000);

  test("risk views and single-account routes answer on the api node as on the leader", async () => {
    sim.pause();
    try {
      const ids = ((await call(leader, "GET", "/api/v1/exchange/top-accounts?limit=50")).body.data.accounts as { account_index: number }[]).map((a) => a.account_index);
      const paths = [
        "/api/v1/exchange/top-accounts?limit=50", "/api/v1/markets/0/top-accounts?limit=20", `/api/v1/accounts/${ids[0]}/positions`,
        `/api/v1/accounts/${ids[0]}/liquidation-risk`, "/api/v1/liquidation-heatmap/0", "/api/v1/liquidation-heatmap/1?range_pct=50",
        "/api/v1/liquidation-heatmap/0/cascade?shock_pct=-5",
      ];
      for (const path of paths) {
        const both = JSON.parse(await sameOnBoth(`${path} on the api node`, get(path))) as { status: number };
        expect(both.status).toBe(200);
      }
    } finally {
      sim.resume();
    }
  }, 60_000);

  test("an account first asked about on the api node is tracked by the leader and then served there", async () => {
    const known = new Set(((await call(leader, "GET", "/api/v1/exchange/top-accounts?limit=5000")).body.data.accounts as { account_index: number }[]).map((a) => a.account_index));
    const candidates = Array.from({ length: 300 }, (_, i) => i).filter((id) => !known.has(id)).slice(0, 40);
    const first = await call(api, "POST", "/api/v1/accounts/batch", { accounts: candidates, include: ["positions"] });
    expect(first.status).toBe(200);
    const untracked = (first.body.data.errors ?? []).filter((e) => e.code === "account_not_tracked").map((e) => e.account);
    expect(untracked.length).toBeGreaterThan(0);
    // Only the api node was asked: the leader learns of them over Redis, looks them up, publishes.
    await until("the api node to answer every asked account", async () => {
      const r = await call(api, "POST", "/api/v1/accounts/batch", { accounts: untracked, include: ["positions"] });
      return r.status === 200 && (r.body.data.errors ?? []).every((e) => e.code !== "account_not_tracked") ? true : undefined;
    }, 20_000);
  }, 40_000);
});

/** Drops fields that name the answering moment (timestamps of the response itself). */
function strip(data: Record<string, unknown>): Record<string, unknown> {
  const { timestamp: _t, ...rest } = data;
  return rest;
}
