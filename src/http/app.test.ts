import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { t } from "elysia";
import { createApp } from "./app";
import { Metrics } from "./metrics";
import { HealthService, type HealthProbe } from "./routes/health/service";
import { ManualClock } from "../lib/clock";
import { createLogger, memorySink } from "../lib/log";
import { AppError } from "../lib/errors";

const clock = new ManualClock(1_767_225_600_000);
const sink = memorySink();
const log = createLogger({ level: "info", sink });
let storeUp = true;
let cacheUp = true;
const probes = (): HealthProbe[] => [
  { name: "sqlite", critical: true, check: async () => { if (!storeUp) throw new Error("down"); } },
  { name: "memory", critical: false, check: async () => { if (!cacheUp) throw new Error("down"); } },
  { name: "lighter_api", critical: false, check: async () => "unknown" },
];
const health = new HealthService({
  clock,
  version: "9.9.9",
  timeoutMs: 200,
  probes,
  upstream: () => ({ venue: "lighter", network: "unknown", source: "simulator", rest_url: "embedded", ws_url: "embedded", connection: "standby" }),
});

// The platform's own routes plus a few probe routes that exercise validation and error mapping.
const app = createApp({ clock, log, metrics: new Metrics(), version: "9.9.9", health, maxBodyBytes: 1024 })
  .get("/probe/query", ({ query }) => query, {
    query: t.Object({ limit: t.Integer({ minimum: 1, maximum: 1000 }), side: t.Optional(t.Union([t.Literal("buy"), t.Literal("sell")])) }),
  })
  .get("/probe/item/:id", ({ params }) => params, { params: t.Object({ id: t.Integer({ minimum: 0 }) }) })
  .post("/probe/body", ({ body }) => body, { body: t.Object({ accounts: t.Array(t.Integer({ minimum: 0 }), { maxItems: 3 }) }) })
  .get("/probe/conflict", () => {
    throw new AppError("conflict", "already exists");
  })
  .get("/probe/crash", () => {
    throw new Error("database password is hunter2");
  });

let base = "";
beforeAll(() => {
  app.listen({ port: 0, hostname: "127.0.0.1" });
  base = `http://127.0.0.1:${app.server!.port}`;
});
afterAll(() => app.stop(true));

const get = (path: string, init?: RequestInit) => fetch(base + path, init);
const json = async (res: Response) => (await res.json()) as { success: boolean; data: Record<string, unknown>; meta: Record<string, unknown> };

describe("envelope and errors", () => {
  test("an unknown route is a 404 in the envelope", async () => {
    const res = await get("/api/v1/nope");
    expect(res.status).toBe(404);
    const body = await json(res);
    expect(body.success).toBe(false);
    expect(body.data.code).toBe("not_found");
    expect(body.meta.request_id).toBe(res.headers.get("x-request-id")!);
    expect(body.meta.timestamp).toBe(clock.now());
  });

  test("malformed JSON is a 400 bad_request, not a framework default", async () => {
    const res = await get("/probe/body", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.data.code).toBe("bad_request");
    expect(String(body.data.message)).toContain("JSON");
  });

  test("an out-of-range query parameter names the field and the rule", async () => {
    const res = await get("/probe/query?limit=5000");
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.data.code).toBe("bad_request");
    expect(body.data.message).toBe("query parameter 'limit' must be an integer from 1 to 1000");
    expect(body.data.details).toEqual({ in: "query", field: "limit", rule: "an integer from 1 to 1000" });
    // Spellings the validator reports coerced (1e+30, 1e+20) are still traced to the parameter.
    for (const v of ["1e30", "99999999999999999999"]) {
      expect((await json(await get(`/probe/query?limit=${v}`))).data.details).toEqual({ in: "query", field: "limit", rule: "an integer from 1 to 1000" });
    }
  });

  test("a non-numeric, a missing and an unknown-enum query parameter are each named", async () => {
    expect((await json(await get("/probe/query?limit=abc"))).data.message).toBe("query parameter 'limit' must be an integer from 1 to 1000");
    expect((await json(await get("/probe/query"))).data.message).toBe("query parameter 'limit' is required (an integer from 1 to 1000)");
    expect((await json(await get("/probe/query?limit=5&side=up"))).data.message).toBe("query parameter 'side' must be one of: buy, sell");
  });

  test("path parameters and nested body fields are named", async () => {
    const p = await get("/probe/item/-3");
    expect(p.status).toBe(400);
    expect((await json(p)).data.message).toBe("path parameter 'id' must be an integer ≥ 0");
    const b = await get("/probe/body", { method: "POST", headers: { "content-type": "application/json" }, body: '{"accounts":[1,-2]}' });
    expect(b.status).toBe(400);
    expect((await json(b)).data.message).toBe("body field 'accounts.1' must be an integer ≥ 0");
  });

  test("an oversized body is refused with 413 payload_too_large", async () => {
    const res = await get("/probe/body", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ accounts: Array(600).fill(1) }) });
    expect(res.status).toBe(413);
    expect((await json(res)).data.code).toBe("payload_too_large");
  });

  test("AppErrors keep their code and status", async () => {
    const res = await get("/probe/conflict");
    expect(res.status).toBe(409);
    expect((await json(res)).data).toEqual({ code: "conflict", message: "already exists" });
  });

  test("an unexpected throw is a 500 internal_error with the request id and no internals", async () => {
    const res = await get("/probe/crash");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("at ");
    const body = JSON.parse(text);
    expect(body.data.code).toBe("internal_error");
    expect(body.data.message).toContain(res.headers.get("x-request-id")!);
  });

  test("a valid incoming X-Request-Id is honoured; anything else is replaced by a UUID v4", async () => {
    const mine = "0b5b1f62-7d0c-4f0e-9a55-2b2f3f0c9d11";
    expect((await get("/status", { headers: { "x-request-id": mine } })).headers.get("x-request-id")).toBe(mine);
    const replaced = (await get("/status", { headers: { "x-request-id": "<script>" } })).headers.get("x-request-id")!;
    expect(replaced).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("health", () => {
  test("all checks ok → 200 ok with the guide's shape", async () => {
    storeUp = cacheUp = true;
    const res = await get("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", version: "9.9.9", uptime_seconds: 0, checks: { sqlite: "ok", memory: "ok", lighter_api: "unknown" } } as never);
  });

  test("a cache outage degrades but keeps 200; a store outage is 503", async () => {
    storeUp = true;
    cacheUp = false;
    const degraded = await get("/health");
    expect(degraded.status).toBe(200);
    expect(((await degraded.json()) as { status: string }).status).toBe("degraded");
    storeUp = false;
    const down = await get("/health");
    expect(down.status).toBe(503);
    expect(((await down.json()) as { checks: Record<string, string> }).checks.sqlite).toBe("error");
    storeUp = cacheUp = true;
  });
});

describe("docs and metrics", () => {
  test("the OpenAPI document lists every route with each response status", async () => {
    const doc = (await (await get("/openapi.json")).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(doc.paths["/health"]!.get!.responses).toHaveProperty("200");
    expect(doc.paths["/health"]!.get!.responses).toHaveProperty("503");
    expect(doc.paths["/status"]!.get!.responses).toHaveProperty("200");
    const yaml = await (await get("/openapi.yaml")).text();
    expect(Bun.YAML.parse(yaml)).toEqual(doc as never);
  });

  test("Swagger UI is served with its assets from this server", async () => {
    const html = await (await get("/swagger")).text();
    expect(html).toContain("/swagger/assets/swagger-ui-bundle.js");
    const asset = await get("/swagger/assets/swagger-ui-bundle.js");
    expect(asset.status).toBe(200);
    expect((await asset.text()).length).toBeGreaterThan(100_000);
    expect((await get("/swagger/assets/..%2Fpackage.json")).status).toBe(404);
  });

  test("/metrics counts requests by route and status and logs one line per request", async () => {
    await get("/status");
    const text = await (await get("/metrics")).text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/status",status="200"\} \d+/);
    expect(text).toContain('http_request_duration_seconds_bucket{route="/status",status="200",le="+Inf"}');
    await log.flush();
    const lines = sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "request");
    expect(lines.some((l) => l.route === "/status" && l.status === 200 && typeof l.duration_ms === "number")).toBe(true);
  });
});

describe("missing parameters", () => {
  test("a missing string query parameter is reported as required", async () => {
    const probe = createApp({ clock, log, metrics: new Metrics(), version: "9.9.9", health }).get("/probe/range", ({ query }) => query, {
      query: t.Object({ start: t.String({ description: "a time" }) }),
    });
    const res = await probe.handle(new Request("http://local/probe/range"));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { data: { message: string } }).data.message).toBe("query parameter 'start' is required (a string)");
  });
});
