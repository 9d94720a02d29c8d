/**
 * The accounts API as a client meets it, against the simulator: per-tier batch sizes
 * (batch_too_large before any credit is charged), credit costs, per-item errors for unknown
 * accounts (a lookup is queued and the venue's answer reported), lookups by L1 address, the single
 * account routes, the cascade and the tier-limited top accounts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SimWorld, until } from "../support/sim-world";
import { TEST_ADMIN_TOKEN } from "../support/api-key";

const T0 = Date.UTC(2026, 0, 15, 14, 20, 0);
const world = new SimWorld({ start: T0, markets: [0, 1], seed: 31, rate: 80, stepMs: 40, env: { ACCOUNT_REFRESH_PER_MINUTE: "6000" } });
const keys: Record<"free" | "starter", string> = { free: "", starter: "" };
let tracked: number[] = [];

interface Reply { status: number; headers: Headers; body: { success: boolean; data: Record<string, unknown> & { code?: string; details?: Record<string, unknown> }; meta: Record<string, unknown> } }

async function call(method: "GET" | "POST", path: string, opts: { key?: string; body?: unknown } = {}): Promise<Reply> {
  const res = await fetch(world.url + path, {
    method, headers: { "x-api-key": opts.key ?? world.apiKey, "content-type": "application/json" }, body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Reply["body"] };
}

async function keyOfTier(tier: string): Promise<string> {
  const email = `accounts-api-${tier}-${crypto.randomUUID().slice(0, 6)}@example.com`;
  await fetch(`${world.url}/api/v1/auth/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: "correct horse battery staple", tos_accepted: true }) });
  const res = await fetch(`${world.url}/admin/users/${encodeURIComponent(email)}/keys`, {
    method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, body: JSON.stringify({ tier }),
  });
  return ((await res.json()) as { data: { api_key: string } }).data.api_key;
}

beforeAll(async () => {
  await world.startSimulator();
  await world.startService();
  keys.free = await keyOfTier("free");
  keys.starter = await keyOfTier("starter");
  await world.runUntil(T0 + 75_000);
  world.freezeVenue(20);
  tracked = await until("tracked accounts, loaded", async () => {
    const top = await call("GET", "/api/v1/exchange/top-accounts?limit=5000");
    const ids = (top.body.data.accounts as { account_index: number; total_asset_value: string | null }[]).filter((a) => a.total_asset_value !== null).map((a) => a.account_index);
    return ids.length >= 20 ? ids : undefined;
  });
}, 30_000);
afterAll(() => world.close());

describe("batch sizes and credits per tier", () => {
  test("Free: 5 accounts cost 25 credits; 6 are batch_too_large and cost nothing", async () => {
    const ok = await call("POST", "/api/v1/accounts/batch", { key: keys.free, body: { accounts: tracked.slice(0, 5) } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-credits-cost")).toBe("25");
    expect((ok.body.data.accounts as unknown[]).length).toBe(5);
    const big = await call("POST", "/api/v1/accounts/batch", { key: keys.free, body: { accounts: tracked.slice(0, 6) } });
    expect(big.status).toBe(400);
    expect(big.body.data.code).toBe("batch_too_large");
    expect(big.body.data.details).toMatchObject({ requested: 6, max_batch_size: 5, tier: "free" });
    expect(big.headers.get("x-credits-cost")).toBeNull();
  });

  test("Starter: 200 accepted, 201 refused; fills and liquidations are heavy batches (50)", async () => {
    const ids = Array.from({ length: 200 }, (_, i) => tracked[i % tracked.length]!);
    expect((await call("POST", "/api/v1/accounts/batch/positions", { key: keys.starter, body: { accounts: ids } })).status).toBe(200);
    const refused = await call("POST", "/api/v1/accounts/batch/positions", { key: keys.starter, body: { accounts: [...ids, 1] } });
    expect([refused.status, refused.body.data.code]).toEqual([400, "batch_too_large"]);
    const fills = await call("POST", "/api/v1/accounts/batch/fills", { key: keys.starter, body: { accounts: tracked.slice(0, 3), start: T0 } });
    expect([fills.status, fills.headers.get("x-credits-cost")]).toEqual([200, "50"]);
    const liq = await call("POST", "/api/v1/accounts/batch/liquidations", { key: keys.starter, body: { accounts: tracked.slice(0, 3) } });
    expect([liq.status, liq.headers.get("x-credits-cost")]).toEqual([200, "50"]);
  });

  test("malformed items are a 400 naming the item; an empty list too", async () => {
    const bad = await call("POST", "/api/v1/accounts/batch", { body: { accounts: [tracked[0], "0xnot-an-address"], by: "l1_address" } });
    expect([bad.status, bad.body.data.code]).toEqual([400, "bad_request"]);
    expect(bad.body.data.details).toMatchObject({ field: "accounts[0]" });
    expect((await call("POST", "/api/v1/accounts/batch", { body: { accounts: [] } })).status).toBe(400);
  });
});

describe("unknown accounts are reported per item", () => {
  test("an account nobody traded with is looked up; one the venue does not know becomes account_not_found", async () => {
    const ghost = 999_999_999_999;
    const first = await call("POST", "/api/v1/accounts/batch", { body: { accounts: [tracked[0], ghost, tracked[0]] } });
    expect(first.status).toBe(200);
    expect((first.body.data.accounts as { account_index: number }[]).map((a) => a.account_index)).toEqual([tracked[0]!]);
    expect(first.body.data.errors).toEqual([{ account: ghost, code: "account_not_tracked", message: expect.any(String) }]);
    expect(first.body.meta).toMatchObject({ requested: 2, found: 1 });
    const settled = await until("the venue's answer for the ghost account", async () => {
      const r = await call("POST", "/api/v1/accounts/batch", { body: { accounts: [ghost] } });
      const [e] = r.body.data.errors as { code: string }[];
      return e?.code === "account_not_found" ? e : undefined;
    });
    expect(settled.code).toBe("account_not_found");
    expect((await call("GET", `/api/v1/accounts/${ghost}/positions`)).status).toBe(404);
  });

  test("by L1 address: the address's accounts", async () => {
    const one = await call("GET", `/api/v1/accounts/${tracked[0]}/positions`);
    const address = one.body.data.l1_address as string;
    const r = await call("POST", "/api/v1/accounts/batch", { body: { accounts: [address], by: "l1_address", include: ["positions"] } });
    expect({ status: r.status, body: r.status === 200 ? null : r.body }).toEqual({ status: 200, body: null });
    expect((r.body.data.accounts as { account_index: number; l1_address: string }[]).map((a) => a.account_index)).toContain(tracked[0]!);
  });
});

describe("one account, and market risk", () => {
  test("positions, fills, PnL history and liquidation risk of one account", async () => {
    const id = tracked[0]!;
    const positions = await call("GET", `/api/v1/accounts/${id}/positions`);
    const batch = await call("POST", "/api/v1/accounts/batch", { body: { accounts: [id], include: ["positions"] } });
    expect(positions.body.data.positions).toEqual((batch.body.data.accounts as { positions: unknown }[])[0]!.positions);
    const fills = await call("GET", `/api/v1/accounts/${id}/fills?start=${T0}&limit=5`);
    expect(fills.status).toBe(200);
    expect(fills.body.meta.total as number).toBeGreaterThan(0);
    const pnl = await until("a recorded PnL snapshot", async () => {
      const r = await call("GET", `/api/v1/accounts/${id}/pnl?resolution=1m&start=${T0}`);
      return (r.body.data.points as unknown[]).length > 0 ? r : undefined;
    });
    expect(pnl.body.data.current).not.toBeNull();
    const risk = await call("GET", `/api/v1/accounts/${id}/liquidation-risk?shock_pct=-50`);
    expect(risk.status).toBe(200);
    expect(risk.body.data.positions).toHaveLength((positions.body.data.positions as unknown[]).length);
    expect(risk.body.data.shock).toMatchObject({ shock_pct: -50, market_id: null });
  });

  test("the cascade walks the book from a shock; top accounts are capped at the tier's rows", async () => {
    const c = await call("GET", "/api/v1/liquidation-heatmap/0/cascade?shock_pct=-8");
    expect(c.status).toBe(200);
    expect(["stable", "book_exhausted", "max_steps"]).toContain(c.body.data.stopped_by as string);
    expect(Number(c.body.data.final_price)).toBeLessThanOrEqual(Number(c.body.data.shock_price));
    expect((await call("GET", "/api/v1/liquidation-heatmap/0/cascade?shock_pct=0")).status).toBe(400);
    const top = await call("GET", "/api/v1/exchange/top-accounts?limit=50", { key: keys.free });
    expect(top.body.meta).toMatchObject({ limit: 10, tier_limit: 10 });
    expect((top.body.data.accounts as unknown[]).length).toBeLessThanOrEqual(10);
    const market = await call("GET", "/api/v1/markets/0/top-accounts?side=short&limit=3");
    expect((market.body.data.accounts as { position: { side: string } }[]).every((a) => a.position.side === "short")).toBe(true);
  });
});
