/**
 * The live heatmap fields end to end: the service tracks the simulator's accounts through the real
 * accounts ingest (discovery from trades, REST loads, fills), and the signals runtime feeds the
 * tracked positions' liquidation-heatmap totals to the engine; a `heatmap_long_at_risk` /
 * `heatmap_short_at_risk` rule fires and the webhook carries the same totals the REST heatmap
 * reports for that instant.
 *
 * Venue and service share one ManualClock driven by a pump (sim-world.ts); the venue is frozen
 * while the totals are compared, so both describe the same positions at the same mark.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SimWorld, until } from "../support/sim-world";

const T0 = Date.UTC(2026, 0, 15, 12, 10, 0); // far from an hourly funding settlement
const SECRET = "heatmap-signal-secret-0123456789";
const world = new SimWorld({
  start: T0, markets: [0], seed: 23, rate: 80, stepMs: 40,
  env: { ACCOUNT_REFRESH_PER_MINUTE: "6000", WEBHOOK_ALLOW_HOSTS: "127.0.0.1", WEBHOOK_ALLOW_HTTP: "true", WS_HEATMAP_INTERVAL_MS: "1000" },
});

const got: Array<{ id: string; body: { type: string; data: { signal_id: string; values: Record<string, string> } } }> = [];
const receiver = Bun.serve({
  port: 0, hostname: "127.0.0.1",
  async fetch(req) {
    got.push({ id: req.headers.get("webhook-id") ?? "", body: JSON.parse(await req.text()) });
    return new Response(null, { status: 204 });
  },
});

async function call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; data: T }> {
  const res = await fetch(world.url + path, { method, headers: { "x-api-key": world.apiKey, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, data: ((await res.json()) as { data: T }).data };
}

/** Tracked accounts with open positions, every one loaded and in step with the (frozen) venue. */
async function quiesced(): Promise<number[]> {
  world.freezeVenue(20);
  return until("every tracked account live", async () => {
    const top = await call<{ accounts: { account_index: number }[] }>("GET", "/api/v1/exchange/top-accounts?limit=5000");
    const ids = top.data.accounts.map((a) => a.account_index);
    if (ids.length === 0) return undefined;
    const batch = await call<{ accounts: { status: string }[] }>("POST", "/api/v1/accounts/batch", { accounts: ids, include: [] });
    return batch.data.accounts.every((a) => a.status === "live") ? ids : undefined;
  }, 20_000);
}

beforeAll(async () => {
  await world.startSimulator();
  await world.startService();
  await world.runUntil(T0 + 90_000);
}, 30_000);
afterAll(async () => {
  await world.close();
  receiver.stop(true);
});

describe("heatmap signals on live account tracking", () => {
  test("a rule on both heatmap fields fires with exactly the totals the REST heatmap reports", async () => {
    try {
      expect((await quiesced()).length).toBeGreaterThan(20);
      const map = await call<{ totals: { long_usd: string; short_usd: string } }>("GET", "/api/v1/liquidation-heatmap/0?range_pct=50");
      expect(map.status).toBe(200);
      const { long_usd: long, short_usd: short } = map.data.totals;
      expect(Number(long)).toBeGreaterThan(0);
      expect(Number(short)).toBeGreaterThan(0);

      // True only at exactly these totals: the fired values are the tracked totals, not an approximation.
      const exactly = (field: string, value: string) => [{ field, op: "gte", value }, { field, op: "lte", value }];
      const created = await call<{ id: string }>("POST", "/api/v1/signals", {
        name: "heatmap", market_id: 0, cooldown_secs: 3600,
        rule_definition: { conditions: [...exactly("heatmap_long_at_risk", long), ...exactly("heatmap_short_at_risk", short)], logic: "AND" },
        delivery_channels: [{ type: "webhook", url: `http://127.0.0.1:${receiver.port}/hook`, secret: SECRET }],
      });
      expect(created.status).toBe(201);

      const hook = await until("the heatmap signal's webhook", () => got.find((g) => g.body.data.signal_id === created.data.id), 20_000);
      expect(hook.body.type).toBe("signal.fired");
      expect(hook.body.data.values).toEqual({ heatmap_long_at_risk: long, heatmap_short_at_risk: short });
      const deliveries = await until("recorded as delivered", async () => {
        const d = await call<{ deliveries: Array<{ id: string; status: string }> }>("GET", `/api/v1/signals/${created.data.id}/deliveries`);
        return d.data.deliveries.every((x) => x.status === "delivered") ? d.data.deliveries : undefined;
      });
      expect(deliveries.map((d) => d.id)).toEqual([hook.id]);
    } finally {
      await world.stopPump();
      world.sim.resume();
    }
  }, 60_000);
});
