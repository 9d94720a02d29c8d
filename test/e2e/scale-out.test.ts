/**
 * Scale-out seam with real processes on a real PostgreSQL database: of two ROLE=ingest nodes only
 * one ingests; when it is killed with SIGKILL the standby takes over within 10 s; a ROLE=api node
 * serves but never ingests.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import postgres from "postgres";
import { hasPostgres, PG_URL, uniqueName } from "../support/services";
import { spawnService, tempDir, type ServiceProcess } from "../support/process";

const ELECTED = /"msg":"ingest leader elected"/;

describe.skipIf(!hasPostgres)("ingest leader election across processes (PostgreSQL)", () => {
  const database = uniqueName("hl_e2e").toLowerCase();
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  const procs: ServiceProcess[] = [];
  const dirs: string[] = [];
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });

  const start = (role: string) => {
    const dir = tempDir(role);
    dirs.push(dir);
    const p = spawnService({ ROLE: role, DATABASE_URL: url.toString(), DATA_DIR: dir });
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    await admin.unsafe(`CREATE DATABASE ${database}`);
  });
  afterAll(async () => {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("one leader ingests; the standby takes over within 10 s of a SIGKILL; api nodes never ingest", async () => {
    const a = start("ingest");
    await a.waitFor(ELECTED, 20_000);
    const b = start("ingest");
    const bPort = await b.port();
    const api = start("api");
    const apiPort = await api.port();

    // B serves but stands by: its /status reports it is not the ingest node.
    const standby = (await (await fetch(`http://127.0.0.1:${bPort}/status`)).json()) as { data: { connection: string } };
    expect(standby.data.connection).toBe("standby");
    expect(b.lines.some((l) => ELECTED.test(l))).toBe(false);

    const killedAt = performance.now();
    a.kill("SIGKILL");
    await a.exited;
    await b.waitFor(ELECTED, 10_000);
    const takeoverMs = performance.now() - killedAt;
    expect(takeoverMs).toBeLessThan(10_000);

    const apiStatus = (await (await fetch(`http://127.0.0.1:${apiPort}/status`)).json()) as { data: { connection: string } };
    expect(apiStatus.data.connection).toBe("not ingesting (api role)");
    expect(api.lines.some((l) => ELECTED.test(l) || l.includes("simulator started"))).toBe(false);
    const health = await fetch(`http://127.0.0.1:${apiPort}/health`);
    expect(((await health.json()) as { checks: Record<string, string> }).checks.postgres).toBe("ok");
  }, 40_000);
});
