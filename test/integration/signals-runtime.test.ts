/**
 * The leader-side signals runtime as the composition root builds it (signals/layer.ts): real SQLite
 * store, engine, outbox, delivery worker and a local receiver, on a manual clock. Covers the boot
 * list, a firing reaching the receiver through the outbox, changes made on an API node (no direct
 * line to the leader) arriving through the store poll, changes made on the leader applied at once,
 * the /metrics gauges (the outbox backlog's too), and a stop that leaves nothing evaluating.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createActor } from "xstate";
import { marketMachine } from "../../src/actors/market/market.machine";
import { loadConfig } from "../../src/config";
import { Metrics } from "../../src/http/metrics";
import { SignalsService } from "../../src/http/routes/signals/service";
import { ManualClock } from "../../src/lib/clock";
import { silentLogger } from "../../src/lib/log";
import { createLiveMarkets, type MarketInfo } from "../../src/market/live";
import { signalsApi } from "../../src/signals/api";
import { createSignalsLayer, SIGNAL_POLL_MS, type SignalsLayer } from "../../src/signals/layer";
import type { SignalRuntime } from "../../src/signals/runtime";
import { createWebhookPolicy } from "../../src/signals/delivery";
import { createMemoryCache } from "../../src/store/memory/cache";
import type { Store } from "../../src/store/ports";
import { openSqliteStore } from "../../src/store/sqlite";
import { tempDir } from "../support/process";
import { until } from "../support/sim-world";

const clock = new ManualClock(Date.UTC(2026, 2, 10, 12));
const MARKET: MarketInfo = {
  venue: "lighter", marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, status: "active",
  minInitialMarginFraction: 500, maintenanceMarginFraction: 300, closeoutMarginFraction: 200,
};
const OWNER = { userId: "usr_runtime", plan: "enterprise" as const };
const HEATMAP_MS = 1_000;

let dir: string;
let store: Store;
let layer: SignalsLayer;
let runtime: SignalRuntime;
let metrics: Metrics;
let receiver: ReturnType<typeof Bun.serve>;
const got: Array<{ id: string; body: { type: string; data: { signal_id: string; values: Record<string, string> } } }> = [];
/** What the tracked accounts say is at risk right now. */
let atRisk = { long: "50", short: "0" };
/** The routes' logic as the leader serves it, and as an API node (same store, no line to the runtime) does. */
let leaderApi: SignalsService;
let apiNode: SignalsService;
/** Outbox commits the leader's store refuses before it answers again (a store outage). */
let refuseCommits = 0;

const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(metrics.render())?.[1]);
const rule = (field: string, value: number) => ({ conditions: [{ field, op: "gt", value }], logic: "AND" });
const newSignal = (svc: SignalsService, field: string, value: number, enabled = true) =>
  svc.create(OWNER, {
    name: field, market_id: 0, rule_definition: rule(field, value), cooldown_secs: 3600, enabled,
    delivery_channels: [{ type: "webhook", url: `http://127.0.0.1:${receiver.port}/hook`, secret: "runtime-test-secret-0123" }],
  });

beforeAll(async () => {
  dir = tempDir("signals-runtime");
  store = await openSqliteStore({ path: join(dir, "hyperlight.db") });
  await store.migrate();
  receiver = Bun.serve({
    port: 0, hostname: "127.0.0.1",
    async fetch(req) {
      got.push({ id: req.headers.get("webhook-id") ?? "", body: JSON.parse(await req.text()) });
      return new Response(null, { status: 204 });
    },
  });
  const live = createLiveMarkets(createMemoryCache(clock));
  await live.putMarkets("lighter", [MARKET]);
  const config = loadConfig({ WEBHOOK_ALLOW_HOSTS: "127.0.0.1", WEBHOOK_ALLOW_HTTP: "true", WS_HEATMAP_INTERVAL_MS: String(HEATMAP_MS) });
  metrics = new Metrics();
  // The leader's view of the store: the same store, whose outbox commits fail while refuseCommits > 0.
  const signals = new Proxy(store.signals, {
    get(target, key) {
      if (key === "recordFiring") {
        return (...args: Parameters<Store["signals"]["recordFiring"]>) => {
          if (refuseCommits > 0) {
            refuseCommits--;
            return Promise.reject(new Error("store unavailable"));
          }
          return target.recordFiring(...args);
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const leaderStore = new Proxy(store, { get: (target, key) => (key === "signals" ? signals : Reflect.get(target, key, target)) });
  layer = createSignalsLayer({ config, store: leaderStore, live, venue: "lighter", clock, log: silentLogger(), metrics, nodeId: "test" });
  leaderApi = new SignalsService(layer.api);
  apiNode = new SignalsService(signalsApi({ store, live, venue: "lighter", clock, policy: createWebhookPolicy({ allowHttp: true, allowHosts: ["127.0.0.1"] }) }));
});
afterAll(async () => {
  await layer?.stop();
  receiver?.stop(true);
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("signals runtime on the ingest leader", () => {
  test("boot: every enabled signal is loaded, disabled ones are not", async () => {
    await newSignal(apiNode, "heatmap_long_at_risk", 100);
    await newSignal(apiNode, "heatmap_long_at_risk", 1, false);
    runtime = layer.runtime();
    runtime.attach(createActor(marketMachine, { input: { venue: "lighter", marketId: 0, priceDecimals: 2, sizeDecimals: 4 } }), MARKET);
    await runtime.start(() => atRisk);
    expect(gauge("hl_signals_active")).toBe(1);
  });

  test("a firing is committed to the outbox and delivered to the receiver", async () => {
    const [signal] = await store.signals.listEnabled();
    atRisk = { long: "150.5", short: "0" };
    clock.advance(HEATMAP_MS);
    const hook = await until("the webhook", () => got.find((g) => g.body.data.signal_id === signal!.id));
    expect(hook.body.type).toBe("signal.fired");
    expect(hook.body.data.values).toEqual({ heatmap_long_at_risk: "150.5" });
    const { rows } = await store.signals.listDeliveries(OWNER.userId, signal!.id, { limit: 10, offset: 0 });
    expect(rows.map((d) => d.id)).toEqual([hook.id]);
    await until("recorded as delivered", async () => (await store.signals.byId(signal!.id))?.lastFiredAt !== null && gauge("hl_signal_deliveries_sent") === 1 || undefined);
    expect(gauge("hl_signal_firings")).toBe(1);
  });

  test("a signal created on an API node reaches the leader through the store poll, not before", async () => {
    const created = await newSignal(apiNode, "heatmap_short_at_risk", 10);
    atRisk = { long: "150.5", short: "20" };
    clock.advance(HEATMAP_MS);
    expect(gauge("hl_signals_active")).toBe(1);
    clock.advance(SIGNAL_POLL_MS);
    await until("loaded from the poll", () => gauge("hl_signals_active") === 2 || undefined);
    clock.advance(HEATMAP_MS);
    await until("its firing delivered", () => got.find((g) => g.body.data.signal_id === created.id));
  });

  test("a delete on an API node stops evaluation after the poll", async () => {
    const { rows } = await store.signals.list(OWNER.userId, { limit: 10, offset: 0 });
    const short = rows.find((s) => s.rule.conditions[0]!.field === "heatmap_short_at_risk")!;
    await apiNode.remove(OWNER, short.id);
    clock.advance(SIGNAL_POLL_MS);
    await until("dropped", () => gauge("hl_signals_active") === 1 || undefined);
  });

  test("a change made on the leader applies at once, without waiting for the poll", async () => {
    const s = await newSignal(leaderApi, "heatmap_long_at_risk", 1_000);
    await until("loaded at once", () => gauge("hl_signals_active") === 2 || undefined);
    await leaderApi.update(OWNER, s.id, { enabled: false });
    await until("disabled at once", () => gauge("hl_signals_active") === 1 || undefined);
  });

  test("a firing the store refuses is retried on the clock until it is committed, then delivered once", async () => {
    const s = await newSignal(leaderApi, "heatmap_short_at_risk", 500);
    await until("loaded", () => gauge("hl_signals_active") === 2 || undefined);
    refuseCommits = 2;
    atRisk = { long: "150.5", short: "600" };
    clock.advance(HEATMAP_MS);
    await until("the first refusal", () => refuseCommits === 1 || undefined);
    // The retries wait 0.5 s, then 1 s, on the clock; nothing is delivered before the commit.
    clock.advance(500);
    await until("the second refusal", () => refuseCommits === 0 || undefined);
    expect(got.some((g) => g.body.data.signal_id === s.id)).toBe(false);
    clock.advance(1_000);
    const hook = await until("delivered after the retries", () => got.find((g) => g.body.data.signal_id === s.id));
    expect(hook.body.data.values).toEqual({ heatmap_short_at_risk: "600" });
    expect(got.filter((g) => g.body.data.signal_id === s.id)).toHaveLength(1);
    expect(gauge("hl_signal_fire_errors")).toBe(2);
  });

  test("stop: nothing evaluates any more and the gauges read zero", async () => {
    await layer.stop();
    expect(gauge("hl_signals_active")).toBe(0);
    const before = got.length;
    await newSignal(apiNode, "heatmap_long_at_risk", 0);
    atRisk = { long: "999", short: "999" };
    clock.advance(SIGNAL_POLL_MS + HEATMAP_MS);
    expect(got.length).toBe(before);
  });

  test("backlog gauges: pending outbox rows and the oldest due one's wait, sampled from the store at most once a second", async () => {
    const sampled = (name: string) => until(`${name} sampled`, () => (Number.isNaN(gauge(name)) ? undefined : gauge(name)));
    expect(await sampled("hl_signal_deliveries_pending")).toBe(0);
    expect(await sampled("hl_signal_deliveries_oldest_due_seconds")).toBe(0);
    // Nothing delivers now (the runtime is stopped): a test event stays pending.
    const [signal] = (await store.signals.list(OWNER.userId, { limit: 100, offset: 0 })).rows.filter((x) => x.enabled);
    await apiNode.test(OWNER, signal!.id);
    // The last sample is younger than a second on the clock: the scrape answers from it.
    expect(gauge("hl_signal_deliveries_pending")).toBe(0);
    clock.advance(1_000);
    await until("the new sample", () => gauge("hl_signal_deliveries_pending") === 1 || undefined);
    clock.advance(5_000);
    expect(gauge("hl_signal_deliveries_oldest_due_seconds")).toBe(6);
    expect(gauge("hl_signal_deliveries_pending")).toBe(1);
  });
});
