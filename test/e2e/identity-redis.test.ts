/**
 * Two real service processes (ROLE=api) sharing Redis and one store: the per-key limit holds across
 * both, and a key revoked on one node stops working on the other within a second (pub/sub, not the
 * 5 s cache TTL). A third process reaches Redis through a proxy the test cuts: requests keep
 * flowing on the local limiter and /health reports the redis check degraded until Redis is back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { spawnService, tempDir, type ServiceProcess } from "../support/process";
import { hasRedis, REDIS_URL } from "../support/services";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { waitFor } from "../contract/wait";

const JWT_SECRET = "e2e-shared-jwt-secret-0123456789abcdef";

describe.skipIf(!hasRedis)("identity across nodes sharing Redis", () => {
  const dir = tempDir("identity-e2e");
  const procs: ServiceProcess[] = [];
  let proxy: TcpProxy | undefined;
  const urls: string[] = [];
  const start = async (redisUrl: string) => {
    const p = spawnService({ DATA_DIR: dir, ROLE: "api", REDIS_URL: redisUrl, JWT_SECRET, HEALTH_TIMEOUT_MS: "300" });
    procs.push(p);
    return `http://127.0.0.1:${await p.port()}`;
  };
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    urls.push(await start(REDIS_URL), await start(REDIS_URL));
  }, 30_000);
  afterAll(() => {
    for (const p of procs) p.kill("SIGKILL");
    proxy?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const register = async () => {
    const r = await post(`${urls[0]}/api/v1/auth/register`, { email: `e2e-${crypto.randomUUID()}@example.com`, password: "correct horse battery", tos_accepted: true });
    expect(r.status).toBe(201);
    return ((await r.json()) as { data: { api_key: string; token: string } }).data;
  };

  test("100 requests with one Free key, spread over both nodes (98 at once): exactly 30 admitted in total", async () => {
    const { api_key } = await register();
    const use = (node: number) => fetch(`${urls[node]}/api/v1/account`, { headers: { "x-api-key": api_key } });
    // One request on each node first: the second node already sees the first one's request.
    expect((await use(0)).headers.get("x-ratelimit-remaining")).toBe("29");
    expect((await use(1)).headers.get("x-ratelimit-remaining")).toBe("28");
    const responses = await Promise.all(Array.from({ length: 98 }, (_, i) => use(i % 2)));
    const statuses = responses.map((r) => r.status);
    expect([statuses.filter((s) => s === 200).length, statuses.filter((s) => s === 429).length]).toEqual([28, 70]);
  });

  test("a key revoked on one node answers 401 on the other within a second", async () => {
    const { token } = await register();
    const made = await post(`${urls[0]}/api/v1/keys`, { name: "revoke-me" }, { authorization: `Bearer ${token}` });
    const { api_key, key } = ((await made.json()) as { data: { api_key: string; key: { id: string } } }).data;
    const onB = () => fetch(`${urls[1]}/api/v1/account`, { headers: { "x-api-key": api_key } }).then((r) => r.status);
    expect(await onB()).toBe(200); // node B now has the key in its cache (5 s TTL)
    const revoked = await fetch(`${urls[0]}/api/v1/keys/${key.id}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
    expect(revoked.status).toBe(200);
    const at = performance.now();
    await waitFor("node B to refuse the revoked key", async () => (await onB()) === 401, { timeoutMs: 1_000, intervalMs: 20 });
    expect(performance.now() - at).toBeLessThan(1_000);
  });

  test("Redis cut off: requests keep flowing on the local limiter, /health says degraded, then recovers", async () => {
    const target = new URL(REDIS_URL);
    proxy = startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const url = await start(`redis://127.0.0.1:${proxy.port}`);
    const { api_key } = await register();
    const health = async () => (await (await fetch(`${url}/health`)).json()) as { status: string; checks: Record<string, string> };
    expect((await health()).checks.redis).toBe("ok");
    proxy.cut();
    await waitFor("/health to report redis degraded", async () => (await health()).checks.redis !== "ok", { timeoutMs: 5_000 });
    expect((await health()).status).toBe("degraded");
    const during = await fetch(`${url}/api/v1/account`, { headers: { "x-api-key": api_key } });
    expect([during.status, during.headers.get("x-ratelimit-limit")]).toEqual([200, "30"]);
    proxy.restore();
    await waitFor("/health to report redis ok again", async () => (await health()).status === "ok", { timeoutMs: 10_000, intervalMs: 50 });
    expect((await fetch(`${url}/api/v1/account`, { headers: { "x-api-key": api_key } })).status).toBe(200);
  }, 30_000);
});
