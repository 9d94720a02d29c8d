/**
 * Accounts, keys, limits and credits over real HTTP against a real SQLite file (memory limiter and
 * meter). Time is a ManualClock, so expiry, throttling delays and the monthly reset are exact.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../../src/lib/clock";
import { startIdentityApp, type IdentityApp, type Reply } from "../support/identity";

const clock = new ManualClock(Date.UTC(2026, 4, 31, 23, 50));
let h: IdentityApp;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const withoutMeta = (r: Reply) => ({ status: r.status, data: r.body.data });

beforeAll(async () => {
  h = await startIdentityApp({
    clock,
    routes: (app) => {
      app.get("/probe/standard", ({ principal }) => ({ kind: principal.kind }), { auth: "apiKey" });
      app.get("/probe/batch", () => ({ ok: true }), { auth: "apiKey", cost: "batch" });
      app.get("/probe/fails", ({ set }) => ((set.status = 404), { nope: true }), { auth: "apiKey" });
    },
  });
});
afterAll(() => h?.close());

describe("register and login", () => {
  test("register returns a JWT and a first key shown once; the e-mail is normalised", async () => {
    const r = await h.call("POST", "/api/v1/auth/register", { body: { email: "  Mixed.Case@Example.COM ", password: "hunter2hunter2", tos_accepted: true } });
    expect(r.status).toBe(201);
    const d = r.body.data as { api_key: string; token: string; email: string; plan: string; key: { prefix: string; tier: string } };
    expect(d.api_key).toMatch(/^hlt_[0-9a-f]{48}$/);
    expect(d.key.prefix).toBe(d.api_key.slice(0, 12));
    expect(d.key).not.toHaveProperty("hash");
    expect([d.email, d.plan, d.key.tier]).toEqual(["mixed.case@example.com", "free", "free"]);
    expect((await h.call("GET", "/api/v1/keys", { headers: bearer(d.token) })).status).toBe(200);
    expect((await h.call("GET", "/probe/standard", { headers: { "x-api-key": d.api_key } })).status).toBe(200);
  });

  test("a taken e-mail (in any case) is 409 conflict; tos, password and e-mail are validated", async () => {
    const taken = await h.call("POST", "/api/v1/auth/register", { body: { email: "MIXED.case@example.com", password: "another-password", tos_accepted: true } });
    expect([taken.status, taken.body.data.code]).toEqual([409, "conflict"]);
    const bad = async (body: Record<string, unknown>) => {
      const r = await h.call("POST", "/api/v1/auth/register", { body: { email: "new@example.com", password: "long enough pw", tos_accepted: true, ...body } });
      return [r.status, r.body.data.code, r.body.data.message];
    };
    expect(await bad({ tos_accepted: false })).toEqual([400, "bad_request", "body field 'tos_accepted' must be true: accept the terms of service to register"]);
    expect(await bad({ password: "short" })).toEqual([400, "bad_request", "body field 'password' must be 8 to 128 characters"]);
    expect(await bad({ password: "x".repeat(129) })).toEqual([400, "bad_request", "body field 'password' must be 8 to 128 characters"]);
    expect(await bad({ email: "not-an-email" })).toEqual([400, "bad_request", "body field 'email' must be an e-mail address"]);
  });

  test("login: a JWT on success; an unknown e-mail and a wrong password get the very same answer", async () => {
    const u = await h.register();
    const ok = await h.call("POST", "/api/v1/auth/login", { body: { email: u.email.toUpperCase(), password: "correct horse battery" } });
    expect(ok.status).toBe(200);
    expect((ok.body.data as { user_id: string }).user_id).toBe(u.userId);
    const wrong = await h.call("POST", "/api/v1/auth/login", { body: { email: u.email, password: "wrong password!" } });
    const unknown = await h.call("POST", "/api/v1/auth/login", { body: { email: `nobody-${u.userId}@example.com`, password: "wrong password!" } });
    expect(withoutMeta(wrong)).toEqual({ status: 401, data: { code: "unauthorized", message: "invalid e-mail or password" } });
    expect(withoutMeta(unknown)).toEqual(withoutMeta(wrong));
  });
});

describe("API keys", () => {
  let u: Awaited<ReturnType<IdentityApp["register"]>>;
  beforeAll(async () => {
    u = await h.register();
  });

  test("create: tier defaults to the plan and may not exceed it; IPs and expiry are validated", async () => {
    const ok = await h.call("POST", "/api/v1/keys", { headers: bearer(u.token), body: { name: " bot ", allowed_ips: ["10.0.0.0/8", "::1"], expires_at: "2027-01-01T00:00:00Z" } });
    expect(ok.status).toBe(201);
    expect((ok.body.data as { key: Record<string, unknown> }).key).toMatchObject({ name: "bot", tier: "free", allowed_ips: ["10.0.0.0/8", "::1"], expires_at: Date.UTC(2027, 0, 1), enabled: true });
    const above = await h.call("POST", "/api/v1/keys", { headers: bearer(u.token), body: { name: "x", tier: "growth" } });
    expect([above.status, above.body.data.code]).toEqual([403, "forbidden"]);
    const badIp = await h.call("POST", "/api/v1/keys", { headers: bearer(u.token), body: { name: "x", allowed_ips: ["10.0.0.1/8"] } });
    expect([badIp.status, badIp.body.data.message]).toEqual([400, "body field 'allowed_ips.0' ('10.0.0.1/8') has address bits set beyond its prefix length"]);
    const past = await h.call("POST", "/api/v1/keys", { headers: bearer(u.token), body: { name: "x", expires_at: clock.now() - 1 } });
    expect([past.status, past.body.data.message]).toEqual([400, "body field 'expires_at' must be in the future"]);
  });

  test("list shows prefixes and metadata only; a user never sees another user's keys", async () => {
    const other = await h.register();
    const list = await h.call("GET", "/api/v1/keys", { headers: bearer(u.token) });
    const keys = (list.body.data as { keys: Array<Record<string, unknown>> }).keys;
    expect(keys.map((k) => k.id)).toContain(u.keyId);
    expect(keys.map((k) => k.id)).not.toContain(other.keyId);
    expect(JSON.stringify(list.body)).not.toContain(u.apiKey);
    expect(Object.keys(keys[0]!).sort()).toEqual(["allowed_ips", "created_at", "enabled", "expires_at", "id", "last_used_at", "name", "prefix", "revoked_at", "tier"]);
    for (const [method, path] of [["PATCH", `/api/v1/keys/${other.keyId}`], ["DELETE", `/api/v1/keys/${other.keyId}`], ["GET", `/api/v1/keys/${other.keyId}/usage`]] as const) {
      const r = await h.call(method, path, { headers: bearer(u.token), body: method === "PATCH" ? { name: "mine now" } : undefined });
      expect([r.status, r.body.data.message]).toEqual([404, `no API key '${other.keyId}'`]);
    }
  });

  test("PATCH applies at once: disable → 403, re-enable → 200, allowlist → 403 from elsewhere, null clears", async () => {
    const use = () => h.call("GET", "/probe/standard", { headers: { "x-api-key": u.apiKey } });
    const patch = (body: Record<string, unknown>) => h.call("PATCH", `/api/v1/keys/${u.keyId}`, { headers: bearer(u.token), body });
    expect((await use()).status).toBe(200); // now cached by the key directory
    expect((await patch({ enabled: false })).status).toBe(200);
    expect([(await use()).status, (await use()).body.data.message]).toEqual([403, "this API key is disabled"]);
    expect((await patch({ enabled: true, allowed_ips: ["198.51.100.0/24"] })).status).toBe(200);
    expect((await use()).body.data.message).toBe("this API key is not allowed from 127.0.0.1");
    expect((await patch({ allowed_ips: ["127.0.0.1"] })).status).toBe(200);
    expect((await use()).status).toBe(200);
    const cleared = await patch({ allowed_ips: null, name: "renamed" });
    expect(cleared.body.data).toMatchObject({ allowed_ips: null, name: "renamed" });
  });

  test("DELETE revokes at once, even for a key the node has cached; the key then answers 401", async () => {
    const created = await h.call("POST", "/api/v1/keys", { headers: bearer(u.token), body: { name: "short-lived" } });
    const { api_key, key } = created.body.data as { api_key: string; key: { id: string } };
    expect((await h.call("GET", "/probe/standard", { headers: { "x-api-key": api_key } })).status).toBe(200);
    const del = await h.call("DELETE", `/api/v1/keys/${key.id}`, { headers: bearer(u.token) });
    expect((del.body.data as { revoked_at: number }).revoked_at).toBe(clock.now());
    const after = await h.call("GET", "/probe/standard", { headers: { "x-api-key": api_key } });
    expect(withoutMeta(after)).toEqual({ status: 401, data: { code: "unauthorized", message: "this API key has been revoked", details: { credential: "api_key" } } });
    expect((await h.call("DELETE", `/api/v1/keys/${key.id}`, { headers: bearer(u.token) })).status).toBe(404);
  });

  test("hourly usage counts requests, credits and errors per key", async () => {
    const fresh = await h.register();
    const key = { "x-api-key": fresh.apiKey };
    for (let i = 0; i < 3; i++) await h.call("GET", "/probe/standard", { headers: key });
    await h.call("GET", "/probe/batch", { headers: key });
    await h.call("GET", "/probe/fails", { headers: key });
    const r = await h.call("GET", `/api/v1/keys/${fresh.keyId}/usage`, { headers: bearer(fresh.token) });
    expect(r.status).toBe(200);
    const d = r.body.data as { hours: Array<{ hour: number }>; totals: Record<string, number> };
    expect(d.totals).toEqual({ requests: 5, credits: 3 + 25 + 1, errors: 1 });
    expect(d.hours.map((x) => x.hour)).toEqual([clock.now() - (clock.now() % 3_600_000)]);
    const list = await h.call("GET", "/api/v1/keys", { headers: bearer(fresh.token) });
    expect((list.body.data as { keys: Array<{ last_used_at: number }> }).keys[0]!.last_used_at).toBe(clock.now());
  });
});

describe("rate limits and credits", () => {
  test("a Free key: 30 per minute with exact headers, then 429 with Retry-After", async () => {
    const u = await h.register();
    const start = clock.now();
    let last: Reply | undefined;
    for (let i = 0; i < 30; i++) {
      last = await h.call("GET", "/probe/standard", { headers: { "x-api-key": u.apiKey } });
      expect(last.status).toBe(200);
    }
    const resetAt = Math.ceil((start - (start % 1000) + 1000 + 60_000) / 1000);
    expect([last!.headers.get("x-ratelimit-limit"), last!.headers.get("x-ratelimit-remaining"), last!.headers.get("x-ratelimit-reset")]).toEqual(["30", "0", String(resetAt)]);
    const limited = await h.call("GET", "/probe/standard", { headers: { "x-api-key": u.apiKey } });
    expect([limited.status, limited.body.data.code, limited.headers.get("retry-after"), limited.headers.get("x-ratelimit-remaining")]).toEqual([429, "rate_limit_exceeded", "61", "0"]);
    expect(limited.headers.get("x-credits-cost")).toBeNull(); // refused before any credit was taken
  });

  test("credits: cost per route kind in headers; a Free account hits 402 at its cap and is reset on the 1st (UTC)", async () => {
    const u = await h.register();
    const month = "2026-05";
    const one = await h.call("GET", "/probe/batch", { headers: { "x-api-key": u.apiKey } });
    expect([one.headers.get("x-credits-cost"), one.headers.get("x-credits-remaining"), one.headers.get("x-credits-reset")]).toEqual(["25", "74975", String(Date.UTC(2026, 5, 1) / 1000)]);
    await h.store.identity.debitCredits({ userId: u.userId, month, cost: 74_975 - 10, cap: null });
    await h.identity.meter.flush(); // the meter picks up a direct ledger change at its next reconciliation
    const capped = await h.call("GET", "/probe/batch", { headers: { "x-api-key": u.apiKey } });
    expect([capped.status, capped.body.data.code, capped.headers.get("x-credits-cost"), capped.headers.get("x-credits-remaining")]).toEqual([402, "credits_exhausted", "0", "10"]);
    expect((await h.call("GET", "/probe/standard", { headers: { "x-api-key": u.apiKey } })).status).toBe(200);
    clock.set(Date.UTC(2026, 5, 1)); // midnight UTC, June 1st: a new allowance
    const june = await h.call("GET", "/probe/batch", { headers: { "x-api-key": u.apiKey } });
    expect([june.status, june.headers.get("x-credits-remaining")]).toEqual([200, "74975"]);
    const account = await h.call("GET", "/api/v1/account", { headers: { "x-api-key": u.apiKey } });
    expect((account.body.data as { credits: unknown }).credits).toEqual({ month: "2026-06", included: 75_000, used: 25, remaining: 74_975, overage: 0, hard_cap: true, resets_at: Date.UTC(2026, 6, 1) });
    await h.identity.meter.flush();
    expect(await h.store.identity.creditsUsed(u.userId, month)).toBe(75_000 - 10 + 1);
  });

  test("paid plans count overage instead of refusing; Enterprise sends 'unlimited'", async () => {
    const u = await h.register();
    await h.identity.admin.setPlan(u.userId, "starter", { via: "cli" });
    await h.store.identity.debitCredits({ userId: u.userId, month: "2026-06", cost: 750_000, cap: null });
    const over = await h.call("GET", "/probe/standard", { headers: { "x-api-key": u.apiKey } });
    expect([over.status, over.headers.get("x-credits-remaining"), over.headers.get("x-credits-overage")]).toEqual([200, "0", "1"]);
    const ent = await h.identity.admin.createKey(u.userId, { tier: "enterprise" }, { via: "cli" });
    const r = await h.call("GET", "/probe/standard", { headers: { "x-api-key": ent.key } });
    expect([r.headers.get("x-ratelimit-limit"), r.headers.get("x-ratelimit-remaining"), r.headers.get("x-ratelimit-reset"), r.headers.get("x-credits-remaining")]).toEqual([
      "unlimited", "unlimited", String(Math.floor(clock.now() / 1000)), "unlimited",
    ]);
  });
});
