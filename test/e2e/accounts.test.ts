/**
 * Trader accounts end to end against the simulator's ground truth: the service discovers accounts
 * from the trade feed, loads them over REST within its request budget, keeps them current from
 * fills, and answers /api/v1 — compared here with what the venue itself reports for the same
 * accounts (its REST `account`, computed by the venue's own engine), with the venue frozen so both
 * describe the same instant. Then a price shock drives positions through their liquidation prices.
 *
 * Venue and service share one ManualClock driven by a pump (sim-world.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SimWorld, until } from "../support/sim-world";
import { TEST_ADMIN_TOKEN } from "../support/api-key";
import { ofOurs, ofVenue, venueAccount as fetchVenueAccount, type WireAccount, type WirePosition } from "../support/account-truth";

const T0 = Date.UTC(2026, 0, 15, 12, 10, 0); // far from an hourly funding settlement
const world = new SimWorld({ start: T0, markets: [0, 1], seed: 23, rate: 80, stepMs: 40, env: { ACCOUNT_REFRESH_PER_MINUTE: "6000" } });

interface Reply<T> { status: number; headers: Headers; body: { success: boolean; data: T; meta: Record<string, unknown> } }

async function call<T>(method: "GET" | "POST", path: string, key = world.apiKey, body?: unknown): Promise<Reply<T>> {
  const res = await fetch(world.url + path, { method, headers: { "x-api-key": key, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Reply<T>["body"] };
}

const venueAccount = (id: number) => fetchVenueAccount(world.sim.url, id);

/** Accounts the service tracks with open positions (exchange top, every row). */
async function trackedWithPositions(): Promise<number[]> {
  const r = await call<{ accounts: { account_index: number }[] }>("GET", "/api/v1/exchange/top-accounts?limit=5000");
  return r.body.data.accounts.map((a) => a.account_index);
}

/** A key of `tier` for a fresh user, through the operator route. */
async function keyOfTier(tier: string): Promise<string> {
  const email = `accounts-${tier}-${crypto.randomUUID().slice(0, 6)}@example.com`;
  await fetch(`${world.url}/api/v1/auth/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: "correct horse battery staple", tos_accepted: true }) });
  const res = await fetch(`${world.url}/admin/users/${encodeURIComponent(email)}/keys`, {
    method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, body: JSON.stringify({ tier }),
  });
  return ((await res.json()) as { data: { api_key: string } }).data.api_key;
}

/** Freezes the venue and waits until every tracked account is loaded and nothing is left to fetch. */
async function quiesce(ids: () => Promise<number[]>): Promise<number[]> {
  world.freezeVenue(20);
  return until("every tracked account in step with the venue", async () => {
    const list = await ids();
    if (list.length === 0) return undefined;
    const r = await call<{ accounts: WireAccount[] }>("POST", "/api/v1/accounts/batch", world.apiKey, { accounts: list, include: [] });
    return r.body.data.accounts.every((a) => a.status === "live") ? list : undefined;
  }, 20_000);
}

beforeAll(async () => {
  await world.startSimulator();
  await world.startService();
  await world.runUntil(T0 + 90_000);
}, 30_000);
afterAll(() => world.close());

describe("tracked accounts = the venue's accounts", () => {
  test("positions, entry, PnL, margin figures and liquidation prices equal the simulator's, to the digit", async () => {
    const ids = await quiesce(trackedWithPositions);
    try {
      expect(ids.length).toBeGreaterThan(20);
      const r = await call<{ accounts: WireAccount[]; errors: unknown[] }>("POST", "/api/v1/accounts/batch", world.apiKey, { accounts: ids, fills_limit: 1 });
      expect(r.status).toBe(200);
      expect(r.body.data.errors).toEqual([]);
      // Most accounts moved by fills after their REST snapshot: the comparison exercises the fill path.
      const movedSinceSnapshot = r.body.data.accounts.filter((a) => (a.recent_fills?.[0]?.timestamp ?? 0) > (a.synced_at ?? Infinity));
      expect(movedSinceSnapshot.length).toBeGreaterThan(10);
      let positions = 0;
      let withLiquidation = 0;
      for (const ours of r.body.data.accounts) {
        const venue = await venueAccount(ours.account_index);
        expect(ofOurs(ours)).toEqual(ofVenue(venue));
        const open = venue.positions.filter((p) => p.sign !== 0);
        positions += open.length;
        withLiquidation += open.filter((p) => p.liquidation_price !== "0").length;
      }
      expect(positions).toBeGreaterThan(20);
      expect(withLiquidation).toBeGreaterThan(10);
    } finally {
      await world.stopPump();
      world.sim.resume();
    }
  }, 40_000);

  test("the heatmap's totals equal the sum of the tracked positions' values", async () => {
    const ids = await quiesce(trackedWithPositions);
    try {
      const map = await call<{ totals: Record<string, string | number>; buckets: { long_liquidation_usd: string; short_liquidation_usd: string }[]; mark_price: string }>("GET", "/api/v1/liquidation-heatmap/0?range_pct=50");
      expect(map.status).toBe(200);
      let long = 0n;
      let safe = 0n;
      let short = 0n;
      for (const id of ids) {
        for (const p of (await venueAccount(id)).positions) {
          if (p.market_id !== 0 || p.sign === 0) continue;
          const value = BigInt(p.position_value.replace(".", ""));
          if (p.sign < 0) short += value;
          else if (p.liquidation_price === "0") safe += value;
          else long += value;
        }
      }
      const usd = (s: string | number) => BigInt(String(s).replace(".", ""));
      const t = map.body.data.totals;
      expect({ long: usd(t.long_usd!), safe: usd(t.long_not_at_risk_usd!), short: usd(t.short_usd!), unknown: usd(t.unknown_usd!) }).toEqual({ long, safe, short, unknown: 0n });
      const inBuckets = map.body.data.buckets.reduce((a, b) => a + usd(b.long_liquidation_usd) + usd(b.short_liquidation_usd), 0n);
      expect(inBuckets + usd(t.long_out_of_range_usd!) + usd(t.short_out_of_range_usd!)).toBe(long + short);
      expect(long + short).toBeGreaterThan(0n);
    } finally {
      await world.stopPump();
      world.sim.resume();
    }
  }, 40_000);
});

describe("a position crossing its liquidation price", () => {
  test("shows up in /accounts/batch/liquidations, and the account is resynced to the venue's state after it", async () => {
    // Arrange: the tracked long in ETH closest to its liquidation price.
    world.freezeVenue(20);
    const top = await until("tracked ETH longs with liquidation prices", async () => {
      const r = await call<{ mark_price: string; accounts: { account_index: number; position: WirePosition }[] }>("GET", "/api/v1/markets/0/top-accounts?side=long&limit=5000");
      const withLiq = r.body.data.accounts.filter((a) => a.position.liquidation_price !== null);
      return withLiq.length > 0 ? { mark: Number(r.body.data.mark_price), rows: withLiq } : undefined;
    });
    await world.stopPump();
    const target = top.rows.reduce((a, b) => (Number(b.position.liquidation_price) > Number(a.position.liquidation_price) ? b : a));
    const id = target.account_index;
    const fraction = Number(target.position.liquidation_price) / top.mark - 1 - 0.02;
    const before = await call<{ accounts: { liquidations: unknown[] }[] }>("POST", "/api/v1/accounts/batch/liquidations", world.apiKey, { accounts: [id] });
    expect(before.body.data.accounts[0]!.liquidations).toEqual([]);

    // Act: the venue's price falls 2 % past that liquidation price.
    world.sim.resume();
    world.sim.shock(0, fraction);
    world.startPump(20);
    try {
      // Assert: the venue liquidates it, and the batch route reports it.
      const events = await until(`a liquidation of account ${id}`, async () => {
        const r = await call<{ accounts: { account_index: number; liquidations: { side: string; type: string; market_id: number }[] }[] }>(
          "POST", "/api/v1/accounts/batch/liquidations", world.apiKey, { accounts: [id], start: T0 },
        );
        return r.body.data.accounts[0]!.liquidations.length > 0 ? r.body.data.accounts[0]!.liquidations : undefined;
      }, 20_000);
      expect(events.filter((e) => e.market_id === 0).map((e) => e.side)).toContain("long");
      await world.stopPump();
      // The liquidation fee is in no trade: the account is refreshed from the venue at once.
      world.freezeVenue(20);
      await until(`account ${id} in step with the venue after its liquidation`, async () => {
        const ours = (await call<WireAccount>("GET", `/api/v1/accounts/${id}/positions`)).body.data;
        const venue = await venueAccount(id);
        return ours.status === "live" && ours.collateral === venue.collateral && ours.total_asset_value === venue.total_asset_value;
      }, 20_000);
    } finally {
      await world.stopPump();
      world.sim.resume();
    }
  }, 60_000);
});
