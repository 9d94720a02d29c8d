/**
 * HTTP overhead of the full stack (request ids, error mapping, logging, metrics, envelope) against
 * a raw Bun.serve answering the same body, measured alternately in one run.
 *
 *   bun bench/http.ts [--rounds 3] [--seconds 4] [--connections 64]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/lib/log";
import { startService } from "../src/service";
import { compare } from "./lib/compare";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "3" }, seconds: { type: "string", default: "4" }, connections: { type: "string", default: "64" } },
});

const dataDir = mkdtempSync(join(tmpdir(), "hl-bench-http-"));
const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, ROLE: "api", LOG_LEVEL: "info" });
// The full stack logs every request as usual; lines go to a sink that discards them.
const service = await startService(config, { log: createLogger({ level: "info", sink: { write() {} } }) });

const sample = await (await fetch(`${service.url}/status`)).text();
const raw = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: () => new Response(sample, { headers: { "content-type": "application/json" } }),
});

try {
  await compare(
    "GET /status",
    { name: "raw Bun.serve", url: `http://127.0.0.1:${raw.port}/status` },
    { name: "full stack", url: `${service.url}/status` },
    { rounds: Number(values.rounds), seconds: Number(values.seconds), connections: Number(values.connections) },
  );
} finally {
  raw.stop(true);
  await service.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
