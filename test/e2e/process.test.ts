import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { spawnService, tempDir, type ServiceProcess } from "../support/process";

const dirs: string[] = [];
const procs: ServiceProcess[] = [];
afterAll(() => {
  for (const p of procs) p.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const start = (env: Record<string, string>) => {
  const p = spawnService(env);
  procs.push(p);
  return p;
};

describe("the service process", () => {
  test("a bad configuration value stops it with one line naming the variable", async () => {
    const p = start({ PORT: "eighty" });
    expect(await p.exited).toBe(2);
    const errors = p.lines.filter((l) => l.trim());
    expect(errors).toEqual(['config error: PORT="eighty" is invalid: expected a TCP port number (0 picks a free one)']);
  });

  test("production without JWT_SECRET is refused", async () => {
    const p = start({ NODE_ENV: "production" });
    expect(await p.exited).toBe(2);
    expect(p.lines.join("\n")).toContain("JWT_SECRET is required when NODE_ENV=production");
  });

  test("it answers /health ok and stops cleanly on SIGTERM", async () => {
    const dir = tempDir("proc");
    dirs.push(dir);
    const p = start({ DATA_DIR: dir, ROLE: "api" });
    const port = await p.port();
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, string> };
    expect(body.checks.sqlite).toBe("ok");
    expect(body.checks.memory).toBe("ok");
    p.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(p.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });

  test("a generated JWT secret is kept in DATA_DIR across restarts", async () => {
    const dir = tempDir("jwt");
    dirs.push(dir);
    for (let i = 0; i < 2; i++) {
      const p = start({ DATA_DIR: dir, ROLE: "api" });
      await p.port();
      p.kill("SIGTERM");
      expect(await p.exited).toBe(0);
    }
    const secret = await Bun.file(`${dir}/jwt-secret`).text();
    expect(secret.trim()).toMatch(/^[0-9a-f]{96}$/);
    const mode = (await Bun.file(`${dir}/jwt-secret`).stat()).mode & 0o777;
    expect(mode).toBe(0o600);
  });
});
