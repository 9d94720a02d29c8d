/**
 * The runtime's outbox commits under a firing storm: firings handed over in one turn are committed
 * in batches (one store transaction each, the signals read in one query per batch), every firing is
 * delivered once under its own webhook-id, and a refused batch is retried whole on the clock.
 * Real SQLite store, outbox, delivery worker and receiver; only the engine is replaced, by one that
 * hands over a burst of firings in a single turn, as engine.ts does.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { SignalDefinition, SignalFiring } from "../domain/signals/rule.ts";
import { ManualClock } from "../lib/clock.ts";
import { silentLogger } from "../lib/log.ts";
import type { Store } from "../store/ports.ts";
import type { SignalRecord, SignalsStore } from "../store/signals.port.ts";
import { openSqliteStore } from "../store/sqlite/index.ts";
import { until } from "../../test/support/sim-world.ts";
import { createOutbox } from "./delivery/outbox.ts";
import { retryPolicy } from "./delivery/retry.ts";
import { createWebhookPolicy } from "./delivery/ssrf.ts";
import { type DeliveryWorker, createDeliveryWorker } from "./delivery/worker.ts";
import { COMMIT_BATCH, type SignalEnginePort, type SignalRuntime, createSignalRuntime, definitionOf } from "./runtime.ts";

const T0 = Date.UTC(2026, 0, 1);
const N = 2 * COMMIT_BATCH + 101;

describe("signals runtime: a firing storm", () => {
  let store: Store;
  let clock: ManualClock;
  let worker: DeliveryWorker;
  let runtime: SignalRuntime;
  let onFire: (f: SignalFiring, def: SignalDefinition) => void = () => {};
  let server: ReturnType<typeof Bun.serve>;
  const hits: Array<{ id: string; signalId: string }> = [];
  /** Store calls per method, and batch sizes of recordFirings. */
  const calls = new Map<string, number>();
  const batches: number[] = [];
  let refuse = 0;

  beforeEach(async () => {
    hits.length = 0;
    calls.clear();
    batches.length = 0;
    store = await openSqliteStore({ path: ":memory:" });
    await store.migrate();
    clock = new ManualClock(T0);
    server = Bun.serve({
      port: 0, hostname: "127.0.0.1",
      async fetch(req) {
        const body = JSON.parse(await req.text()) as { data: { signal_id: string } };
        hits.push({ id: req.headers.get("webhook-id") ?? "", signalId: body.data.signal_id });
        return new Response(null, { status: 204 });
      },
    });
    const url = `http://127.0.0.1:${server.port}/hook`;
    for (let i = 0; i < N; i++) {
      await store.signals.create({
        userId: `usr_${i % 7}`, name: `s${i}`, venue: "lighter", marketId: 0, cooldownSecs: 0, enabled: true,
        rule: { conditions: [{ field: "trade_price", op: "gt", value: 1 }], logic: "AND" },
        channels: [{ type: "webhook", url, secret: "storm-test-secret-0123456789" }],
      }, T0);
    }
    // Counts the store's calls; `refuse` makes the next batch commits fail as an unreachable store would.
    const signals = new Proxy(store.signals, {
      get(target, key: keyof SignalsStore) {
        const value = Reflect.get(target, key, target);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          calls.set(key, (calls.get(key) ?? 0) + 1);
          if (key === "recordFirings") {
            batches.push((args[0] as unknown[]).length);
            if (refuse > 0) {
              refuse--;
              return Promise.reject(new Error("store unavailable"));
            }
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    worker = createDeliveryWorker({
      store: store.signals, clock, log: silentLogger(), workerId: "w1", retry: retryPolicy(1_000), concurrency: 16, timeoutMs: 2_000,
      policy: createWebhookPolicy({ allowHttp: true, allowHosts: ["127.0.0.0/8"] }), random: () => 0,
    });
    const engine = (fire: typeof onFire): SignalEnginePort => {
      onFire = fire;
      return { upsert() {}, remove() {}, attach() {}, heatmap() {}, stop() {}, stats: () => ({ active: 0, evaluations: 0, firings: 0 }) };
    };
    // The runtime's stop() waits for its commits; the worker is stopped by the test once delivery is checked.
    runtime = createSignalRuntime({
      venue: "lighter", clock, log: silentLogger(), store: signals, engine, pollMs: 60_000, heatmapMs: 60_000,
      outbox: createOutbox({ store: signals, clock, worker }), worker: { start: () => worker.start(), stop() {}, kick: () => worker.kick() },
    });
    await runtime.start();
  });
  afterEach(async () => {
    await runtime.stop();
    await worker.stop(0);
    server.stop(true);
    await store.close();
  });

  /** Hands one firing per signal to the runtime in a single turn, as the engine's hand-over does. */
  const burst = async (ts: number) => {
    const all = await store.signals.listEnabled();
    for (const s of all) onFire({ signalId: s.id, venue: "lighter", marketId: 0, ts, values: { trade_price: "2" } }, definitionOf(s));
    return all;
  };
  /** Every firing has exactly one delivery row, sent once under that row's id. */
  const delivered = async (all: SignalRecord[]) => {
    await until("every firing delivered", async () => {
      await worker.whenIdle();
      return hits.length >= all.length || undefined;
    });
    const rows = (await Promise.all(all.map((s) => store.signals.listDeliveries(s.userId, s.id, { limit: 5, offset: 0 })))).flatMap((p) => p.rows);
    expect(rows).toHaveLength(all.length);
    expect(rows.every((r) => r.status === "delivered")).toBe(true);
    expect(new Set(hits.map((h) => h.id))).toEqual(new Set(rows.map((r) => r.id)));
    expect(hits).toHaveLength(all.length);
    expect(new Set(hits.map((h) => h.id)).size).toBe(all.length);
    expect(new Set(hits.map((h) => h.signalId))).toEqual(new Set(all.map((s) => s.id)));
  };

  test(`a burst of ${N} firings is committed in at most ceil(N / ${COMMIT_BATCH}) transactions, each delivered once under its own id`, async () => {
    const all = await burst(T0 + 10);
    await runtime.stop(); // waits for every commit
    const transactions = (calls.get("recordFirings") ?? 0) + (calls.get("recordFiring") ?? 0);
    expect(transactions).toBeLessThanOrEqual(Math.ceil(N / COMMIT_BATCH));
    expect(batches.reduce((a, b) => a + b, 0)).toBe(N);
    expect(calls.get("byId") ?? 0).toBe(0);
    expect(calls.get("byIds")).toBe(transactions);
    await delivered(all);
    for (const s of all.slice(0, 20)) {
      const { rows } = await store.signals.listDeliveries(s.userId, s.id, { limit: 5, offset: 0 });
      expect(rows.map((r) => [r.status, r.firedAt])).toEqual([["delivered", T0 + 10]]);
      expect(hits.find((h) => h.signalId === s.id)?.id).toBe(rows[0]!.id);
    }
  });

  test("a batch the store refuses is retried whole on the clock, then committed and delivered once", async () => {
    refuse = 2;
    const all = await burst(T0 + 20);
    await until("the first refusal", () => (refuse === 1 ? true : undefined));
    clock.advance(500);
    await until("the second refusal", () => (refuse === 0 ? true : undefined));
    expect(hits).toHaveLength(0);
    clock.advance(1_000);
    await runtime.stop();
    expect(runtime.stats().fireErrors).toBe(2 * COMMIT_BATCH);
    // The refused first batch, its two retries, then the rest: nothing committed twice.
    expect(batches.slice(0, 3)).toEqual([COMMIT_BATCH, COMMIT_BATCH, COMMIT_BATCH]);
    expect(batches.slice(3).reduce((a, b) => a + b, 0)).toBe(N - COMMIT_BATCH);
    await delivered(all);
  });
});
