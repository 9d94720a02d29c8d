/**
 * The authorization matrix: every route the app registers, against every way a credential can be
 * wrong. The route list comes from `app.routes`, so a route added later is covered without touching
 * this file — and a route that declares no auth class fails the first test.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AUTH_DETAIL, type AuthClass } from "../../src/http/plugins/auth";
import { createApp } from "../../src/http/app";
import { Metrics } from "../../src/http/metrics";
import { HealthService } from "../../src/http/routes/health/service";
import { ManualClock } from "../../src/lib/clock";
import { silentLogger } from "../../src/lib/log";
import { ADMIN_TOKEN, startIdentityApp, type IdentityApp, type Reply } from "../support/identity";

const clock = new ManualClock(Date.UTC(2026, 2, 10, 12));
let h: IdentityApp;
let owner: Awaited<ReturnType<IdentityApp["register"]>>;
let other: Awaited<ReturnType<IdentityApp["register"]>>;
const keys: Record<"valid" | "revoked" | "expired" | "disabled" | "wrongIp", string> = { valid: "", revoked: "", expired: "", disabled: "", wrongIp: "" };
let expiredJwt = "";

interface RouteCase {
  method: string;
  path: string;
  cls: AuthClass | undefined;
}
let routes: RouteCase[] = [];

/** The routes of a fresh (never started) app with extra routes added, with their declared classes. */
function routesOfAppWith(add: (app: ReturnType<typeof createApp>) => void): RouteCase[] {
  const health = new HealthService({ clock, version: "t", timeoutMs: 10, probes: () => [], upstream: () => ({ venue: "lighter", network: "unknown", source: "simulator", rest_url: "-", ws_url: "-", connection: "-" }) });
  const app = createApp({ clock, log: silentLogger(), metrics: new Metrics(), version: "t", health, identity: h.identity });
  add(app);
  return app.routes.map((r) => ({ method: r.method, path: r.path, cls: declaredClass(r.hooks) }));
}

const declaredClass = (hooks: unknown) => (hooks as { detail?: Record<string, unknown> } | undefined)?.detail?.[AUTH_DETAIL] as AuthClass | undefined;

/** A concrete URL for a route pattern: `:key_id` names `keyId`, other parameters get harmless values. */
const urlFor = (path: string, keyId: string) =>
  path.replace(":key_id", keyId).replace(":file", "swagger-ui.css").replace(":user", encodeURIComponent(owner.email)).replace(/:[a-z_]+/g, "0");

async function hit(r: RouteCase, headers: Record<string, string>, query = "", keyId = owner.keyId): Promise<Reply> {
  const body = ["POST", "PUT", "PATCH"].includes(r.method) ? {} : undefined;
  return h.call(r.method, urlFor(r.path, keyId) + query, { headers, body });
}

beforeAll(async () => {
  h = await startIdentityApp({ clock, marketData: true });
  routes = h.app.routes
    .filter((r) => r.method !== "WS")
    .map((r) => ({ method: r.method, path: r.path, cls: declaredClass(r.hooks) }));
  owner = await h.register();
  other = await h.register();
  // The valid credentials below must never be throttled or capped: Enterprise has no limits.
  await h.identity.admin.setPlan(owner.userId, "enterprise", { via: "cli" });
  const jwt = { authorization: `Bearer ${owner.token}` };
  const newKey = async (body: Record<string, unknown>) => {
    const r = await h.call("POST", "/api/v1/keys", { headers: jwt, body: { name: "matrix", ...body } });
    expect(r.status).toBe(201);
    return r.body.data as { api_key: string; key: { id: string } };
  };
  keys.valid = (await newKey({ tier: "enterprise" })).api_key;
  const revoked = await newKey({});
  expect((await h.call("DELETE", `/api/v1/keys/${revoked.key.id}`, { headers: jwt })).status).toBe(200);
  keys.revoked = revoked.api_key;
  keys.expired = (await newKey({ expires_at: clock.now() + 60_000 })).api_key;
  const disabled = await newKey({});
  expect((await h.call("PATCH", `/api/v1/keys/${disabled.key.id}`, { headers: jwt, body: { enabled: false } })).status).toBe(200);
  keys.disabled = disabled.api_key;
  keys.wrongIp = (await newKey({ allowed_ips: ["203.0.113.7", "2001:db8::/32"] })).api_key;
  expiredJwt = h.identity.jwt.sign(owner.userId, clock.now() - 13 * 3_600_000).token;
  clock.advance(61_000); // the expiring key is now past its expiry; everything else is still valid
});
afterAll(() => h?.close());

describe("authorization matrix over app.routes", () => {
  test("every registered route declares an auth class", () => {
    expect(routes.length).toBeGreaterThan(25);
    const undeclared = routes.filter((r) => r.cls === undefined).map((r) => `${r.method} ${r.path}`);
    expect(undeclared).toEqual([]);
  });

  test("the check itself catches a route added without a class", () => {
    const probe = h.app.routes.length;
    const extra = routesOfAppWith((app) => void app.get("/probe/undeclared", () => "open"));
    expect(extra.filter((r) => r.cls === undefined).map((r) => r.path)).toEqual(["/probe/undeclared"]);
    expect(h.app.routes.length).toBe(probe);
  });

  test("the classes cover the guide: data routes take keys, key management takes JWTs", () => {
    const cls = (m: string, p: string) => routes.find((r) => r.method === m && r.path === p)?.cls;
    expect(cls("GET", "/api/v1/orderbook/:market_id")).toBe("apiKey");
    expect(cls("GET", "/api/v1/keys")).toBe("jwt");
    expect(cls("POST", "/api/v1/auth/register")).toBe("public");
    expect(cls("GET", "/health")).toBe("public");
    expect(cls("GET", "/admin/users")).toBe("admin");
  });

  const expectRefused = (r: RouteCase, got: Reply, status: number, label: string) =>
    expect({ route: `${r.method} ${r.path}`, label, status: got.status, code: got.body.data?.code }).toEqual({
      route: `${r.method} ${r.path}`, label, status, code: status === 401 ? "unauthorized" : status === 403 ? "forbidden" : "not_found",
    });

  test("apiKey routes: missing, malformed, unknown, revoked → 401; expired, disabled, wrong IP → 403; a JWT → 401 naming the key", async () => {
    const cases = routes.filter((r) => r.cls === "apiKey");
    expect(cases.length).toBeGreaterThan(10);
    for (const r of cases) {
      expectRefused(r, await hit(r, {}), 401, "no key");
      expectRefused(r, await hit(r, { "x-api-key": "hlt_not-a-key" }), 401, "malformed");
      expectRefused(r, await hit(r, { "x-api-key": `hlt_${"0".repeat(48)}` }), 401, "unknown");
      expectRefused(r, await hit(r, { authorization: `Bearer ${keys.revoked}` }), 401, "revoked");
      expectRefused(r, await hit(r, {}, `?api_key=${keys.expired}`), 403, "expired");
      expectRefused(r, await hit(r, { "x-api-key": keys.disabled }), 403, "disabled");
      expectRefused(r, await hit(r, { "x-api-key": keys.wrongIp }), 403, "wrong ip");
      const jwt = await hit(r, { authorization: `Bearer ${owner.token}` });
      expectRefused(r, jwt, 401, "jwt instead of key");
      expect(jwt.body.data.details).toEqual({ credential: "api_key" });
      const ok = await hit(r, { "x-api-key": keys.valid });
      expect({ route: r.path, status: ok.status, limit: ok.headers.get("x-ratelimit-limit") }).toMatchObject({ limit: "unlimited" });
      expect([401, 403]).not.toContain(ok.status);
      // The ?api_key= form works on every data route and is never taken for one of its parameters.
      const viaQuery = await hit(r, {}, `?api_key=${keys.valid}`);
      expect({ route: r.path, refused: [401, 403].includes(viaQuery.status), aboutKey: String(viaQuery.body.data?.message ?? "").includes("api_key") }).toEqual({ route: r.path, refused: false, aboutKey: false });
    }
  });

  test("jwt routes: missing, forged, expired → 401; an API key → 401 naming the JWT; another user's key id → 404", async () => {
    const cases = routes.filter((r) => r.cls === "jwt");
    expect(cases.length).toBeGreaterThanOrEqual(5);
    const [head, payload] = owner.token.split(".");
    const forged = `${head}.${payload}.${"A".repeat(43)}`;
    for (const r of cases) {
      expectRefused(r, await hit(r, {}), 401, "no token");
      expectRefused(r, await hit(r, { authorization: `Bearer ${forged}` }), 401, "forged");
      expectRefused(r, await hit(r, { authorization: `Bearer ${expiredJwt}` }), 401, "expired");
      expectRefused(r, await hit(r, { authorization: "Bearer eyJhbGciOiJub25lIn0.e30." }), 401, "alg none");
      const withKey = await hit(r, { "x-api-key": owner.apiKey });
      expectRefused(r, withKey, 401, "key instead of jwt");
      expect(withKey.body.data.details).toEqual({ credential: "jwt" });
      expectRefused(r, await hit(r, { authorization: `Bearer ${owner.apiKey}` }), 401, "key as bearer");
      if (r.path.includes(":key_id")) {
        expectRefused(r, await hit(r, { authorization: `Bearer ${owner.token}` }, "", other.keyId), 404, "another user's key");
      }
      expect([401, 403]).not.toContain((await hit(r, { authorization: `Bearer ${other.token}` }, "", other.keyId)).status);
    }
  });

  test("keyOrJwt routes: nothing, malformed or revoked → 401; a valid key or JWT is accepted", async () => {
    const cases = routes.filter((r) => r.cls === "keyOrJwt");
    expect(cases.length).toBeGreaterThanOrEqual(1);
    for (const r of cases) {
      expectRefused(r, await hit(r, {}), 401, "nothing");
      expectRefused(r, await hit(r, { "x-api-key": "hlt_zz" }), 401, "malformed");
      expectRefused(r, await hit(r, { "x-api-key": keys.revoked }), 401, "revoked");
      expectRefused(r, await hit(r, { authorization: "Bearer garbage.garbage.garbage" }), 401, "bad jwt");
      // Accepted = not refused: signals routes then answer 400/404 for the matrix's placeholder body and ids.
      expect([r.path, [401, 403].includes((await hit(r, { "x-api-key": keys.valid })).status)]).toEqual([r.path, false]);
      expect([r.path, [401, 403].includes((await hit(r, { authorization: `Bearer ${owner.token}` })).status)]).toEqual([r.path, false]);
    }
  });

  test("admin routes: no token, a wrong one, an API key or a JWT → 401; the admin token is accepted", async () => {
    const cases = routes.filter((r) => r.cls === "admin");
    expect(cases.length).toBe(3);
    for (const r of cases) {
      expectRefused(r, await hit(r, {}), 401, "none");
      expectRefused(r, await hit(r, { authorization: `Bearer ${ADMIN_TOKEN}x` }), 401, "wrong");
      expectRefused(r, await hit(r, { "x-api-key": owner.apiKey }), 401, "api key");
      expectRefused(r, await hit(r, { authorization: `Bearer ${owner.token}` }), 401, "jwt");
      expect([401, 403]).not.toContain((await hit(r, { "x-admin-token": ADMIN_TOKEN })).status);
    }
  });

  test("public routes answer without credentials", async () => {
    for (const r of routes.filter((x) => x.cls === "public")) {
      expect({ route: `${r.method} ${r.path}`, refused: [401, 403].includes((await hit(r, {})).status) }).toEqual({ route: `${r.method} ${r.path}`, refused: false });
    }
  });
});
