/**
 * GET /api/v1/orderbook/0 req/s through the full stack — the service ingesting a live simulator
 * (client → MarketActor → live read model, book re-published every 100 ms), the Elysia app with
 * request ids, API-key auth, usage metering, validation, envelope, logging and metrics — against a
 * raw Bun.serve sending the same response (the same body and headers: bench/lib/raw-twin.ts says
 * why) and, for reference, the same body alone, measured alternately in the same run.
 *
 * Auth: a user registers and the operator route creates an enterprise key (no rate limit, no
 * credit cap), sent as X-Api-Key. A second figure comes from the same app built without identity
 * (no auth guard, same live view), so the cost of authentication shows on its own. Both are also
 * measured with the route served by Elysia alone (`fastPaths: false`: no Bun-native fast path,
 * same identity runtime and live view), so the fast path's gain shows in the same run.
 * Target: full stack ≥ 0.7× raw.
 *
 *   bun bench/orderbook.ts [--rounds 3] [--seconds 3] [--connections 64] [--depth 50]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config";
import { createApp } from "../src/http/app";
import { Metrics } from "../src/http/metrics";
import { HealthService } from "../src/http/routes/health/service";
import { systemClock } from "../src/lib/clock";
import { createLogger } from "../src/lib/log";
import { VERSION } from "../src/lib/version";
import { createLiveMarkets } from "../src/market/live";
import { startService } from "../src/service";
import { startSimulator } from "../src/venues/lighter/sim";
import { provisionApiKey, TEST_ADMIN_TOKEN } from "../test/support/api-key";
import { runLoad, type LoadResult } from "./lib/compare";
import { comparedWith, rawBaselines } from "./lib/raw-twin";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Runs every target once per round, in turn (after a warm-up of each): same conditions for all. */
async function alternate(targets: { name: string; url: string; headers?: Record<string, string> }[], o: { rounds: number; seconds: number; connections: number }) {
  for (const t of targets) await runLoad(t.url, { connections: o.connections, seconds: 1, headers: t.headers });
  const rounds: LoadResult[][] = targets.map(() => []);
  for (let r = 0; r < o.rounds; r++) {
    for (const [i, t] of targets.entries()) rounds[i]!.push(await runLoad(t.url, { connections: o.connections, seconds: o.seconds, headers: t.headers }));
  }
  return targets.map((t, i) => {
    const rs = rounds[i]!;
    if (rs.some((x) => x.errors > 0)) console.warn(`${t.name}: ${rs.reduce((a, x) => a + x.errors, 0)} errors`);
    return { name: t.name, rounds: rs, rps: median(rs.map((x) => x.rps)), p50: median(rs.map((x) => x.p50_ms)), p99: median(rs.map((x) => x.p99_ms)), errors: rs.reduce((a, x) => a + x.errors, 0) };
  });
}

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "3" },
    connections: { type: "string", default: "64" },
    depth: { type: "string" },
  },
});
const opts = { rounds: Number(values.rounds), seconds: Number(values.seconds), connections: Number(values.connections) };
const query = values.depth ? `?depth=${values.depth}` : "";

// Logs are produced as in production and discarded.
const discard = () => createLogger({ level: "info", sink: { write() {} } });
const sim = await startSimulator({ seed: 42 });
const dataDir = mkdtempSync(join(tmpdir(), "hl-bench-orderbook-"));
const config = loadConfig({
  PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, ROLE: "all", LOG_LEVEL: "info",
  LIGHTER_URL: sim.url, LIGHTER_WS_URL: sim.wsUrl, ADMIN_TOKEN: TEST_ADMIN_TOKEN,
});
const service = await startService(config, { log: discard() });
const key = await provisionApiKey(service.url, "bench@example.com");
const headers = { "x-api-key": key };

const stackUrl = `${service.url}/api/v1/orderbook/0${query}`;
const deadline = performance.now() + 30_000;
let sample = "";
let keyedHeaders = new Headers();
for (;;) {
  const res = await fetch(stackUrl, { headers });
  sample = await res.text();
  keyedHeaders = res.headers;
  if (res.status === 200) break;
  if (performance.now() > deadline) throw new Error(`no live book within 30 s: ${res.status} ${sample.slice(0, 200)}`);
  await Bun.sleep(50);
}
const book = JSON.parse(sample) as { data: { bids: unknown[]; asks: unknown[] } };

// The same routes without identity (no auth guard), over the same live view and store.
const health = new HealthService({ clock: systemClock, version: VERSION, timeoutMs: 1000, probes: () => [], upstream: () => ({ venue: "lighter", network: "ok", source: "simulator", rest_url: sim.url, ws_url: sim.wsUrl, connection: "n/a" }) });
const appOver = (o: { identity: boolean; fastPaths: boolean }) => {
  const app = createApp({
    clock: systemClock, log: discard(), metrics: new Metrics(), version: VERSION, health, fastPaths: o.fastPaths,
    identity: o.identity ? service.identity : undefined,
    marketData: { store: service.deps.store.marketData, live: createLiveMarkets(service.deps.cache), venue: "lighter" },
  });
  app.listen({ port: 0, hostname: "127.0.0.1" });
  return app;
};
const noAuth = appOver({ identity: false, fastPaths: true });
const elysiaKeyed = appOver({ identity: true, fastPaths: false });
const elysiaNoAuth = appOver({ identity: false, fastPaths: false });
const bookUrl = (app: { server: { port?: number } | null }) => `http://127.0.0.1:${app.server!.port}/api/v1/orderbook/0${query}`;

// Baselines (bench/lib/raw-twin.ts): the body alone, and the same body with the same headers as
// each kind of response (keyed: request id, rate-limit and credit headers; open: the request id).
const openResponse = await fetch(bookUrl(noAuth));
const raws = rawBaselines({ body: sample, headers: keyedHeaders }, { body: await openResponse.text(), headers: openResponse.headers });

try {
  console.log(`orderbook bench — bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs; live simulator (${sim.rate} events/s), book ${book.data.bids.length}+${book.data.asks.length} levels, body ${sample.length} bytes`);
  const targets = [
    ...raws.targets,
    { name: "full stack + API key", url: stackUrl, headers, baseline: 1 },
    { name: "full stack, no auth", url: bookUrl(noAuth), baseline: 2 },
    { name: "Elysia route + API key", url: bookUrl(elysiaKeyed), headers, baseline: 1 },
    { name: "Elysia route, no auth", url: bookUrl(elysiaNoAuth), baseline: 2 },
  ];
  const results = await alternate(targets, opts);
  console.log(`\n== GET /api/v1/orderbook/0${query} (${opts.rounds} rounds × ${opts.seconds}s, each round runs all ${targets.length} in turn; ${opts.connections} connections) ==`);
  const ratio = (i: number, b: number) => {
    const [r, base] = [results[i]!, results[b]!];
    const per = r.rounds.map((x, k) => x.rps / base.rounds[k]!.rps);
    return `${(r.rps / base.rps).toFixed(3)}x (per round ${Math.min(...per).toFixed(3)}–${Math.max(...per).toFixed(3)})`;
  };
  for (const [i, r] of results.entries()) {
    const t = targets[i]!;
    console.log(
      `${r.name.padEnd(28)} ${String(Math.round(r.rps)).padStart(7)} req/s median (rounds ${r.rounds.map((x) => Math.round(x.rps)).join(", ")})   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   errors ${r.errors}` +
        comparedWith(i, t.baseline, ratio),
    );
  }
  console.log("target: full stack ≥ 0.7x raw (the raw server sending the same response)");
} finally {
  raws.stop();
  await Promise.all([noAuth.stop(), elysiaKeyed.stop(), elysiaNoAuth.stop()]);
  await service.stop();
  await sim.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
