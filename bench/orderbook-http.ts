/**
 * GET /api/v1/orderbook/0 through the HTTP layer alone — no venue feed or ingest in the process,
 * the book republished every 100 ms into the memory cache — against a raw Bun.serve sending the
 * same response (the same body and headers: bench/lib/raw-twin.ts says why) and, for reference, the
 * same body alone, all measured alternately in the same run. Four apps over one identity runtime and one
 * live view: with an enterprise API key and without auth, each with the Bun-native fast path
 * (src/http/fast-orderbook.ts) and with the route served by Elysia alone (`fastPaths: false`).
 * bench/orderbook.ts measures the same route inside the whole service with a live simulator.
 *
 * Throughput on a small shared machine is bounded by the load generator as much as by the server,
 * so a second section measures server-side time per request in process, without sockets: the fast
 * handler (built by the same `fastOrderbook` the app installs) against Elysia's `app.handle`, and
 * a bare `new Response(body)` as the floor (each figure includes building the Request and reading
 * the body).
 *
 *   bun bench/orderbook-http.ts [--rounds 5] [--seconds 3] [--connections 64]
 */
import { parseArgs } from "node:util";
import { createApp } from "../src/http/app";
import { Metrics } from "../src/http/metrics";
import { HealthService } from "../src/http/routes/health/service";
import { systemClock } from "../src/lib/clock";
import { formatScaled } from "../src/lib/decimal";
import { createLogger } from "../src/lib/log";
import { createLiveMarkets } from "../src/market/live";
import { fastOrderbook } from "../src/http/fast-orderbook";
import { OrderbookService } from "../src/http/routes/orderbook/service";
import { startIdentityApp } from "../test/support/identity";
import { runLoad } from "./lib/compare";
import { comparedWith, rawBaselines } from "./lib/raw-twin";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "5" }, seconds: { type: "string", default: "3" }, connections: { type: "string", default: "64" } },
});
const opts = { rounds: Number(values.rounds), seconds: Number(values.seconds), connections: Number(values.connections) };

const h = await startIdentityApp({ clock: systemClock, marketData: true });
const live = createLiveMarkets(h.cache);
await live.putMarkets("lighter", [
  { venue: "lighter", marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, status: "active", minInitialMarginFraction: 500, maintenanceMarginFraction: 300, closeoutMarginFraction: 200 },
]);
const levels = (from: number, step: number) => Array.from({ length: 44 }, (_, i) => ({ price: formatScaled(from + i * step, 2), size: formatScaled(10_000 + i * 7, 4) }));
const publish = () =>
  live.putBook("lighter", { market_id: 0, bids: levels(319_950, -50), asks: levels(320_000, 50), best_bid: "3199.50", best_ask: "3200.00", spread: "0.50", mid: "3199.750", nonce: Date.now(), timestamp: Date.now() });
await publish();
const republish = setInterval(publish, 100);

const owner = await h.register();
await h.identity.admin.setPlan(owner.userId, "enterprise", { via: "cli" });
const apiKey = (await h.identity.admin.createKey(owner.userId, { tier: "enterprise" }, { via: "cli" })).key;

// Logs are produced as in production and discarded.
const discard = () => createLogger({ level: "info", sink: { write() {} } });
const health = new HealthService({
  clock: systemClock, version: "bench", timeoutMs: 500, probes: () => [],
  upstream: () => ({ venue: "lighter", network: "unknown", source: "simulator", rest_url: "-", ws_url: "-", connection: "standby" }),
});
const appOf = (withKey: boolean, fastPaths: boolean) => {
  const app = createApp({
    clock: systemClock, log: discard(), metrics: new Metrics(), version: "bench", health, fastPaths,
    identity: withKey ? h.identity : undefined,
    marketData: { store: h.store.marketData, live, venue: "lighter" },
  });
  app.listen({ port: 0, hostname: "127.0.0.1" });
  return app;
};
const apps = [
  { name: "fast path + API key", app: appOf(true, true), key: true },
  { name: "Elysia route + API key", app: appOf(true, false), key: true },
  { name: "fast path, no auth", app: appOf(false, true), key: false },
  { name: "Elysia route, no auth", app: appOf(false, false), key: false },
];
const bookUrl = (port: number | undefined) => `http://127.0.0.1:${port}/api/v1/orderbook/0`;
const openResponse = await fetch(bookUrl(apps[2]!.app.server!.port));
const sample = await openResponse.text();
const keyedResponse = await fetch(bookUrl(apps[0]!.app.server!.port), { headers: { "x-api-key": apiKey } });
const keyedSample = await keyedResponse.text();
// Baselines (bench/lib/raw-twin.ts): the body alone, and the same body with the same headers as
// each kind of response (keyed: request id, rate-limit and credit headers; open: the request id).
const raws = rawBaselines({ body: keyedSample, headers: keyedResponse.headers }, { body: sample, headers: openResponse.headers });

const targets = [
  ...raws.targets.map((t) => ({ ...t, headers: {} as Record<string, string> })),
  ...apps.map((a) => ({ name: a.name, url: bookUrl(a.app.server!.port), headers: (a.key ? { "x-api-key": apiKey } : {}) as Record<string, string>, baseline: a.key ? 1 : 2 })),
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
try {
  for (const t of targets) await runLoad(t.url, { connections: opts.connections, seconds: 1, headers: t.headers });
  const rps: number[][] = targets.map(() => []);
  for (let r = 0; r < opts.rounds; r++) {
    for (const [i, t] of targets.entries()) {
      const res = await runLoad(t.url, { connections: opts.connections, seconds: opts.seconds, headers: t.headers });
      if (res.errors > 0) console.warn(`${t.name}: ${res.errors} errors`);
      rps[i]!.push(res.rps);
    }
  }
  console.log(`orderbook HTTP bench — bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs, body ${sample.length} bytes, ${opts.rounds} rounds × ${opts.seconds}s, ${opts.connections} connections`);
  const ratio = (i: number, b: number) => `${(median(rps[i]!) / median(rps[b]!)).toFixed(3)}x (median per-round ${median(rps[i]!.map((x, r) => x / rps[b]![r]!)).toFixed(3)}x)`;
  for (const [i, t] of targets.entries()) {
    console.log(
      `${t.name.padEnd(26)} ${String(Math.round(median(rps[i]!))).padStart(7)} req/s median (rounds ${rps[i]!.map(Math.round).join(", ")})` +
        comparedWith(i, t.baseline, ratio),
    );
  }
  console.log("target: ≥ 0.7x raw (the raw server sending the same response)");

  // Server-side time per request, in process (no sockets), alternating the variants per round.
  const service = new OrderbookService({ store: h.store.marketData, live, venue: "lighter" });
  const peer = { requestIP: () => ({ address: "127.0.0.1" }) };
  const fast = (withKey: boolean) =>
    fastOrderbook({ clock: systemClock, log: discard(), metrics: new Metrics(), service, identity: withKey ? h.identity : undefined, trustProxyHops: 0, fallback: () => new Response(null, { status: 599 }) });
  const fastKey = fast(true);
  const fastOpen = fast(false);
  const variants: Array<{ name: string; key: boolean; run: (r: Request & { params?: Record<string, string> }) => Response | Promise<Response> }> = [
    { name: "new Response(body) only", key: false, run: () => new Response(sample, { headers: { "content-type": "application/json" } }) },
    { name: "fast path + API key", key: true, run: (r) => fastKey(r, peer) },
    { name: "Elysia route + API key", key: true, run: (r) => apps[1]!.app.handle(r) },
    { name: "fast path, no auth", key: false, run: (r) => fastOpen(r, peer) },
    { name: "Elysia route, no auth", key: false, run: (r) => apps[3]!.app.handle(r) },
  ];
  const micros: number[][] = variants.map(() => []);
  const N = 20_000;
  for (let r = 0; r < opts.rounds + 1; r++) {
    for (const [i, v] of variants.entries()) {
      const headers: Record<string, string> = v.key ? { "x-api-key": apiKey } : {};
      const t0 = performance.now();
      for (let n = 0; n < N; n++) {
        const req = Object.assign(new Request("http://127.0.0.1/api/v1/orderbook/0", { headers }), { params: { market_id: "0" } });
        const res = await v.run(req);
        if (res.status !== 200) throw new Error(`${v.name}: status ${res.status}`);
        await res.arrayBuffer();
      }
      // Elysia logs and meters in setImmediate after the response; count that work in its own window.
      await new Promise((resolve) => setImmediate(resolve));
      if (r > 0) micros[i]!.push(((performance.now() - t0) * 1000) / N); // round 0 warms up
    }
  }
  console.log(`\n== server-side time per request, in process (${opts.rounds} rounds × ${N} requests, medians) ==`);
  for (const [i, v] of variants.entries()) console.log(`${v.name.padEnd(26)} ${median(micros[i]!).toFixed(1).padStart(6)} µs   (rounds ${micros[i]!.map((x) => x.toFixed(1)).join(", ")})`);
} finally {
  clearInterval(republish);
  raws.stop();
  for (const a of apps) await a.app.stop(true);
  await h.close();
}
