import { describe, expect, test } from "bun:test";
import { AppError } from "../lib/errors";
import { PasswordHasher } from "./passwords";

const cheap = { memoryCost: 1024, timeCost: 1 };

describe("password hashing", () => {
  test("argon2id PHC strings; verify accepts the password only; an unknown account (null hash) is always false", async () => {
    const p = new PasswordHasher({ concurrency: 2, ...cheap });
    const hash = await p.hash("correct horse");
    expect(hash.startsWith("$argon2id$")).toBe(true);
    expect(await p.verify("correct horse", hash)).toBe(true);
    expect(await p.verify("wrong horse", hash)).toBe(false);
    expect(await p.verify("correct horse", null)).toBe(false);
    expect(await p.verify("x", "not a phc string")).toBe(false);
  });

  test("concurrency is bounded and the queue too: beyond it, 503 with Retry-After", async () => {
    const p = new PasswordHasher({ concurrency: 2, maxQueue: 3, ...cheap });
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, p.load.running)), 0);
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => p.hash(`pw-${i}`)));
    clearInterval(watch);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(results.filter((r) => r.status === "fulfilled").length).toBe(5);
    expect(refused.length).toBe(5);
    expect(refused.every((r) => r.reason instanceof AppError && r.reason.code === "service_unavailable" && r.reason.headers?.["retry-after"] === "1")).toBe(true);
    expect(peak).toBeLessThanOrEqual(2);
    expect(p.load).toEqual({ running: 0, waiting: 0 });
  });
});
