/**
 * Failed logins slow down per account and per client address, over real HTTP. Delays are measured
 * on a ManualClock, so "retry in 1 s, then 2 s …" is exact and the test never sleeps.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LOGIN_THROTTLE } from "../../src/identity/login-throttle";
import { ManualClock } from "../../src/lib/clock";
import { startIdentityApp, type IdentityApp } from "../support/identity";

const clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
let h: IdentityApp;
beforeAll(async () => {
  h = await startIdentityApp({ clock });
});
afterAll(() => h?.close());

const login = (email: string, password: string) => h.call("POST", "/api/v1/auth/login", { body: { email, password } });

describe("login slow-down", () => {
  test("per account: free failures, then growing delays answered 429 without checking the password; success clears it", async () => {
    const u = await h.register();
    for (let i = 0; i < LOGIN_THROTTLE.freeAccountFailures; i++) expect((await login(u.email, "wrong password")).status).toBe(401);
    const blocked = await login(u.email, "correct horse battery");
    expect([blocked.status, blocked.body.data.code, blocked.headers.get("retry-after")]).toEqual([429, "rate_limit_exceeded", "1"]);
    clock.advance(1_000);
    expect((await login(u.email, "wrong again!")).status).toBe(401);
    expect((await login(u.email, "correct horse battery")).headers.get("retry-after")).toBe("2");
    clock.advance(2_000);
    expect((await login(u.email, "correct horse battery")).status).toBe(200);
    // The success cleared the account's counter: the next failure is a plain 401 again.
    expect((await login(u.email, "wrong password")).status).toBe(401);
    expect((await login(u.email, "correct horse battery")).status).toBe(200);
  });

  test("an unknown e-mail is throttled exactly like a real one (no existence oracle)", async () => {
    const ghost = `ghost-${Date.now()}@example.com`;
    const answers = [];
    for (let i = 0; i <= LOGIN_THROTTLE.freeAccountFailures; i++) answers.push((await login(ghost, "whatever123")).status);
    expect(answers).toEqual([401, 401, 401, 401, 401, 429]);
    clock.advance(60_000);
  });

  test("per address: spraying many accounts from one IP is slowed down too", async () => {
    clock.advance(LOGIN_THROTTLE.maxDelayMs);
    const statuses: number[] = [];
    // Earlier tests in this file already failed from 127.0.0.1; keep spraying fresh e-mails.
    for (let i = 0; i < LOGIN_THROTTLE.freeIpFailures + 1 && !statuses.includes(429); i++) statuses.push((await login(`spray${i}@example.com`, "guess1234")).status);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(LOGIN_THROTTLE.freeIpFailures);
    const fresh = await login(`never-seen-${Date.now()}@example.com`, "guess1234");
    expect(fresh.status).toBe(429);
  });
});
