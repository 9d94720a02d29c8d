import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBackgroundCheckpoints } from "./checkpointer.ts";

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function walDatabase() {
  const dir = mkdtempSync(join(tmpdir(), "hl-checkpointer-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "db.sqlite");
  const db = new Database(path, { create: true });
  cleanup.push(() => db.close());
  db.run("PRAGMA journal_mode = WAL");
  db.run("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)");
  return { db, path };
}

const autoCheckpoint = (db: Database) => (db.query("PRAGMA wal_autocheckpoint").get() as { wal_autocheckpoint: number }).wal_autocheckpoint;
const turn = () => new Promise<void>((r) => setImmediate(r));
/** Waits on loop turns (the worker runs on its own thread), giving up after `ms` of wall time. */
async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`never happened: ${what}`);
    await turn();
  }
}

describe("background WAL checkpoints", () => {
  test("commits on this thread no longer checkpoint; the worker copies the WAL into the file", async () => {
    const { db, path } = walDatabase();
    const before = statSync(path).size;

    const checkpoints = startBackgroundCheckpoints(db, path, { intervalMs: 10 });
    const insert = db.prepare("INSERT INTO t (body) VALUES (?)");
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run("x".repeat(200));
    })();

    expect(autoCheckpoint(db)).toBe(0);
    await until("the worker's checkpoint", () => statSync(path).size > before + 200_000);
    await checkpoints.stop();
    expect((db.query("SELECT count(*) AS n FROM t").get() as { n: number }).n).toBe(2000);
  });

  test("a worker that cannot open the database hands checkpoints back to SQLite", async () => {
    const { db, path } = walDatabase();

    const checkpoints = startBackgroundCheckpoints(db, join(path, "not-a-dir", "db.sqlite"), { intervalMs: 10 });

    await until("the fallback", () => autoCheckpoint(db) === 1000);
    await checkpoints.stop();
  });
});
