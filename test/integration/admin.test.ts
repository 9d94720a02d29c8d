/**
 * Operating without billing: the /admin routes (ADMIN_TOKEN) and the `bun run admin` CLI against
 * the same kind of store, and the audit line every action leaves — without secrets.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { rmSync } from "node:fs";
import { ManualClock } from "../../src/lib/clock";
import { openSqliteStore } from "../../src/store/sqlite";
import { ADMIN_TOKEN, startIdentityApp, type IdentityApp } from "../support/identity";
import { tempDir } from "../support/process";

const clock = new ManualClock(Date.UTC(2026, 6, 1, 8));
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let h: IdentityApp;
beforeAll(async () => {
  h = await startIdentityApp({ clock });
});
afterAll(() => h?.close());

describe("admin routes", () => {
  test("list users (paged, by e-mail), set a plan, create an Enterprise key that raises the plan", async () => {
    const u = await h.register();
    const list = await h.call("GET", `/admin/users?email=${encodeURIComponent(u.email.toUpperCase())}`, { headers: admin });
    expect(list.body.data).toEqual({ users: [{ id: u.userId, email: u.email, plan: "free", created_at: clock.now() }] });
    expect(list.body.meta.total).toBe(1);
    const all = await h.call("GET", "/admin/users?limit=1&offset=0", { headers: admin });
    expect((all.body.data as { users: unknown[] }).users.length).toBe(1);

    const plan = await h.call("PUT", `/admin/users/${u.email}/plan`, { headers: admin, body: { plan: "growth" } });
    expect(plan.body.data).toMatchObject({ user: { id: u.userId, plan: "growth" }, previous_plan: "free" });
    // The account's credits follow the plan at once (cached key records were invalidated).
    const acct = await h.call("GET", "/api/v1/account", { headers: { "x-api-key": u.apiKey } });
    expect((acct.body.data as { credits: { included: number } }).credits.included).toBe(5_000_000);

    const made = await h.call("POST", `/admin/users/${u.userId}/keys`, { headers: { "x-admin-token": ADMIN_TOKEN }, body: { tier: "enterprise", name: "load" } });
    expect(made.status).toBe(201);
    const d = made.body.data as { api_key: string; key: { tier: string; name: string }; user: { plan: string }; plan_raised: boolean };
    expect([d.key.tier, d.key.name, d.user.plan, d.plan_raised]).toEqual(["enterprise", "load", "enterprise", true]);
    const use = await h.call("GET", "/api/v1/account", { headers: { "x-api-key": d.api_key } });
    expect(use.headers.get("x-ratelimit-limit")).toBe("unlimited");

    await h.flushLogs();
    const audit = h.logLines.filter((l) => l.includes('"msg":"admin.action"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit.map((a) => a.action)).toEqual(["users.list", "users.list", "users.set_plan", "users.set_plan", "keys.create"]);
    expect(audit[2]).toMatchObject({ actor: "http", ip: "127.0.0.1", user_id: u.userId, from: "free", to: "growth" });
    expect(audit.every((a) => typeof a.request_id === "string")).toBe(true);
    const text = h.logLines.join("\n");
    expect(text).not.toContain(d.api_key);
    expect(text).not.toContain(ADMIN_TOKEN);
  });

  test("unknown users are 404; a bad plan is 400", async () => {
    expect((await h.call("PUT", "/admin/users/usr_nope/plan", { headers: admin, body: { plan: "growth" } })).status).toBe(404);
    expect((await h.call("PUT", "/admin/users/usr_nope/plan", { headers: admin, body: { plan: "platinum" } })).status).toBe(400);
  });

  test("without ADMIN_TOKEN the admin routes do not exist (404, even with a token)", async () => {
    const off = await startIdentityApp({ clock, adminToken: null });
    try {
      const r = await off.call("GET", "/admin/users", { headers: admin });
      expect([r.status, r.body.data.code]).toEqual([404, "not_found"]);
      expect(off.app.routes.some((x) => x.path.startsWith("/admin"))).toBe(false);
    } finally {
      await off.close();
    }
  });
});

describe("admin CLI (bun run admin)", () => {
  const dir = tempDir("admin-cli");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = async (...args: string[]) => {
    const proc = Bun.spawn([process.execPath, resolve(import.meta.dir, "../../scripts/admin.ts"), ...args], {
      env: { PATH: process.env.PATH ?? "", DATA_DIR: dir }, stdout: "pipe", stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return { out, err, code };
  };

  test("users list, set-plan and create-key work on the configured store and log without secrets", async () => {
    const store = await openSqliteStore({ path: join(dir, "hyperlight.db") });
    await store.migrate();
    await store.identity.createUser({ id: "usr_cli", email: "ops@example.com", passwordHash: "$argon2id$x", plan: "free", createdAt: 1 });
    await store.close();

    const list = await cli("users", "list");
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toMatchObject({ total: 1, users: [{ id: "usr_cli", email: "ops@example.com", plan: "free" }] });
    const plan = await cli("set-plan", "ops@example.com", "starter");
    expect(JSON.parse(plan.out)).toMatchObject({ previous_plan: "free", plan: "starter" });
    const key = await cli("create-key", "ops@example.com", "--tier", "enterprise", "--name", "load");
    const made = JSON.parse(key.out) as { api_key: string; tier: string; plan: string; plan_raised: boolean };
    expect(made).toMatchObject({ tier: "enterprise", plan: "enterprise", plan_raised: true });
    expect(made.api_key).toMatch(/^hlt_[0-9a-f]{48}$/);
    const audit = key.err.split("\n").filter((l) => l.includes("admin.action")).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit.map((a) => [a.action, a.actor])).toEqual([["users.set_plan", "cli"], ["keys.create", "cli"]]);
    expect(key.err).not.toContain(made.api_key);
    const bad = await cli("set-plan", "ops@example.com", "gold");
    expect([bad.code, bad.err.split("\n")[0]]).toEqual([2, "unknown tier 'gold'"]);
    expect((await cli("set-plan", "nobody@example.com", "growth")).err.trim()).toBe("error: no user 'nobody@example.com'");
  });
});
