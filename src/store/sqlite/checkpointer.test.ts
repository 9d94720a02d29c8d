import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBackgroundCheckpoints, WAL_LIMIT_BYTES } from "./checkpointer.ts";

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
  test("commits on this thread checkpoint only past the WAL limit (the backstop); the worker copies the WAL into the file", async () => {
    const { db, path } = walDatabase();
    const before = statSync(path).size;

    const checkpoints = startBackgroundCheckpoints(db, path, { intervalMs: 10 });
    const insert = db.prepare("INSERT INTO t (body) VALUES (?)");
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run("x".repeat(200));
    })();

    // Only the backstop, far past SQLite's default of 1,000 pages.
    expect(autoCheckpoint(db)).toBe(WAL_LIMIT_BYTES / 4096);
    await until("the worker's checkpoint", () => statSync(path).size > before + 200_000);
    await checkpoints.stop();
    expect((db.query("SELECT count(*) AS n FROM t").get() as { n: number }).n).toBe(2000);
  });

  test("under steady writes the WAL starts over once past its limit instead of growing without end", async () => {
    const { db, path } = walDatabase();
    db.run("PRAGMA busy_timeout = 5000"); // as the store sets it: a commit waits out the reset
    const limit = 1 << 20;
    const checkpoints = startBackgroundCheckpoints(db, path, { intervalMs: 5, walLimitBytes: limit });
    const insert = db.prepare("INSERT INTO t (body) VALUES (?)");
    const commit = db.transaction(() => {
      for (let i = 0; i < 100; i++) insert.run("x".repeat(200));
    });
    const walBytes = () => statSync(`${path}-wal`).size;
    let largest = 0;
    // About 25 MB of WAL frames, a commit per loop turn (the recorder's slices with a backlog).
    for (let i = 0; i < 1_000; i++) {
      commit();
      largest = Math.max(largest, walBytes());
      await turn();
    }
    await checkpoints.stop();
    expect((db.query("SELECT count(*) AS n FROM t").get() as { n: number }).n).toBe(100_000);
    expect(largest).toBeLessThan(4 * limit);
  });

  test("a worker that cannot open the database hands checkpoints back to SQLite", async () => {
    const { db, path } = walDatabase();

    const checkpoints = startBackgroundCheckpoints(db, join(path, "not-a-dir", "db.sqlite"), { intervalMs: 10 });

    await until("the fallback", () => autoCheckpoint(db) === 1000);
    await checkpoints.stop();
  });
});
