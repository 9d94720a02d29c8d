/**
 * The plan limit on signals per account holds across processes: several processes, released
 * together, each try to create many signals for the same user under the same limit, against one
 * SQLite file and one PostgreSQL schema. Exactly `limit` are created; every other attempt is the
 * store's SignalLimitError (never a lock error, never one too many).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { openPostgresStore } from "../../src/store/postgres";
import type { Store } from "../../src/store/ports";
import { openSqliteStore } from "../../src/store/sqlite";
import { tempDir } from "../support/process";
import { hasPostgres, PG_URL, uniqueName } from "../support/services";

const CHILD = join(import.meta.dir, "../fixtures/signal-create-child.ts");
const PROCESSES = 4;
const EACH = 6;
const LIMIT = 7;

interface Outcome { created: number; refused: number; errors: string[] }

/** Starts the children, waits until every one has its store open, releases them together, collects their results. */
async function race(userId: string, target: string[]): Promise<Outcome[]> {
  const children = Array.from({ length: PROCESSES }, () =>
    Bun.spawn([process.execPath, CHILD, userId, String(EACH), String(LIMIT), ...target], { stdin: "pipe", stdout: "pipe", stderr: "inherit" }));
  const outputs = children.map((c) => {
    const lines: string[] = [];
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const done = (async () => {
      const decoder = new TextDecoder();
      let rest = "";
      for await (const chunk of c.stdout) {
        rest += decoder.decode(chunk, { stream: true });
        for (let i = rest.indexOf("\n"); i >= 0; i = rest.indexOf("\n")) {
          const line = rest.slice(0, i);
          rest = rest.slice(i + 1);
          lines.push(line);
          if (line === "ready") ready();
        }
      }
      return lines;
    })();
    return { isReady, done };
  });
  try {
    await Promise.all(outputs.map((o) => o.isReady));
    for (const c of children) {
      c.stdin.write("go\n");
      c.stdin.flush();
    }
    const all = await Promise.all(outputs.map((o) => o.done));
    return all.map((lines) => {
      const line = lines.find((l) => l.startsWith("result "));
      if (!line) throw new Error(`a child printed no result: ${lines.join("\n")}`);
      return JSON.parse(line.slice("result ".length)) as Outcome;
    });
  } finally {
    for (const c of children) c.kill();
  }
}

async function expectLimitHeld(store: Store, userId: string, outcomes: Outcome[]) {
  expect(outcomes.flatMap((o) => o.errors)).toEqual([]);
  expect(outcomes.reduce((n, o) => n + o.created, 0)).toBe(LIMIT);
  expect(outcomes.reduce((n, o) => n + o.refused, 0)).toBe(PROCESSES * EACH - LIMIT);
  expect(await store.signals.count(userId)).toBe(LIMIT);
}

describe("signal limit under concurrent creates from several processes", () => {
  test("sqlite: one file, exactly the limit is created", async () => {
    const dir = tempDir("signals-limit");
    const path = join(dir, "hyperlight.db");
    const store = await openSqliteStore({ path });
    try {
      await store.migrate();
      await expectLimitHeld(store, "usr_race_sqlite", await race("usr_race_sqlite", ["sqlite", path]));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  describe.skipIf(!hasPostgres)("postgres", () => {
    const schema = uniqueName("signals_limit");
    afterAll(async () => {
      const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
      await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => sql.end({ timeout: 1 }));
    });

    test("one schema, exactly the limit is created", async () => {
      const store = await openPostgresStore({ url: PG_URL, schema, max: 2 });
      try {
        await store.migrate();
        await expectLimitHeld(store, "usr_race_pg", await race("usr_race_pg", ["postgres", PG_URL, schema]));
      } finally {
        await store.close();
      }
    }, 30_000);
  });
});
