/**
 * Webhook delivery throughput: N firings committed to the outbox, then delivered by one worker
 * (claim, signal lookup, SSRF check, signing, POST, attempt record) to a local receiver, against a
 * raw baseline measured in the same run — the same signed POSTs sent by node:http at the same
 * concurrency with no store at all. Rounds alternate baseline and worker.
 *
 *   bun bench/webhooks.ts [--firings 2000] [--rounds 3] [--concurrency 8] [--backend sqlite|postgres]
 */
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../src/lib/clock";
import { silentLogger } from "../src/lib/log";
import { buildSignalPayload, createDeliveryWorker, createOutbox, createWebhookPolicy, retryPolicy, webhookHeaders } from "../src/signals/delivery";
import type { Store } from "../src/store/ports";
import { openPostgresStore } from "../src/store/postgres";
import { openSqliteStore } from "../src/store/sqlite";

const { values } = parseArgs({
  options: {
    firings: { type: "string", default: "2000" }, rounds: { type: "string", default: "3" }, concurrency: { type: "string", default: "8" },
    backend: { type: "string", default: "sqlite" },
  },
});
const N = Number(values.firings);
const C = Number(values.concurrency);
const SECRET = "bench-secret-0123456789abcdef";

let received = 0;
const receiver = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => (received++, new Response(null, { status: 204 })) });
const url = `http://127.0.0.1:${receiver.port}/hook`;
const dir = mkdtempSync(join(tmpdir(), "hl-bench-webhooks-"));
const schema = `bench_webhooks_${process.pid}`;
const pgUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const signalFields = { name: "bench", venue: "lighter", marketId: 0, rule: { conditions: [{ field: "trade_price" as const, op: "gt" as const, value: 1 }], logic: "AND" as const } };
const body = buildSignalPayload({ signal: { id: "sig_bench", ...signalFields }, firedAt: 0, values: { trade_price: "2" }, test: false, now: 0 });

/** The baseline: N signed POSTs by node:http, C at a time, no store. */
async function raw(): Promise<number> {
  const start = performance.now();
  let next = 0;
  const one = () => new Promise<void>((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent: false, headers: { ...webhookHeaders({ id: `msg_${next}`, at: Date.now(), body, secret: SECRET }), "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on("end", resolve);
    });
    req.on("error", reject);
    req.end(body);
  });
  await Promise.all(Array.from({ length: C }, async () => {
    while (next++ < N) await one();
  }));
  return performance.now() - start;
}

/** Outbox writes, then the worker drains them; returns [write ms, delivery ms]. */
async function viaWorker(store: Store, round: number): Promise<[number, number]> {
  const s = await store.signals.create({ userId: `usr_bench_${round}`, ...signalFields, cooldownSecs: 0, enabled: true, channels: [{ type: "webhook", url, secret: SECRET }] }, Date.now());
  const outbox = createOutbox({ store: store.signals, clock: systemClock });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await outbox.fire(s, { signalId: s.id, venue: s.venue, marketId: 0, ts: i, values: { trade_price: "2" } });
  const t1 = performance.now();
  const worker = createDeliveryWorker({
    store: store.signals, clock: systemClock, log: silentLogger(), workerId: `bench-${round}`, concurrency: C, timeoutMs: 10_000,
    policy: createWebhookPolicy({ allowHttp: true, allowHosts: ["127.0.0.1"] }), retry: retryPolicy(5_000),
  });
  const before = received;
  worker.start();
  while (received - before < N || worker.stats().delivered < N) await worker.whenIdle().then(() => new Promise((r) => setTimeout(r, 1)));
  const t2 = performance.now();
  await worker.stop();
  return [t1 - t0, t2 - t1];
}

const store = values.backend === "postgres" ? await openPostgresStore({ url: pgUrl, schema, max: 12 }) : await openSqliteStore({ path: join(dir, "bench.db") });
await store.migrate();
try {
  const perSec = (ms: number) => Math.round((N / ms) * 1000);
  for (let round = 1; round <= Number(values.rounds); round++) {
    const baseline = await raw();
    const [write, deliver] = await viaWorker(store, round);
    console.log(`round ${round} (${values.backend}, ${N} firings, concurrency ${C}): raw POST ${perSec(baseline)}/s | outbox writes ${perSec(write)}/s | worker deliveries ${perSec(deliver)}/s = ${(baseline / deliver).toFixed(2)}x of raw`);
  }
} finally {
  await store.close();
  if (store.kind === "postgres") {
    const { default: postgres } = await import("postgres");
    const sql = postgres(pgUrl, { max: 1, onnotice: () => {} });
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => sql.end({ timeout: 1 }));
  }
  receiver.stop(true);
  rmSync(dir, { recursive: true, force: true });
}
