/**
 * WAL checkpoints off the event loop. With SQLite's default auto-checkpoint, the commit that takes
 * the WAL past 1000 pages copies the whole WAL into the database file and fsyncs it, inside that
 * commit, on the thread that committed: with the recorder writing every few milliseconds that was a
 * recurring 5–40 ms stall of the ingest node's event loop (far more when the disk is busy).
 *
 * Here a worker thread with its own connection checkpoints every `intervalMs`, and the main
 * connection's auto-checkpoint is raised from 1,000 pages to `walLimitBytes` as a backstop that
 * lets the log start over (below). Durability is unchanged: committed transactions are in the WAL
 * either way, and a WAL left behind by a killed process is recovered when the file is next opened.
 * If the thread fails, auto-checkpoint goes back to SQLite's default.
 */
import type { Database } from "bun:sqlite";
import type { Logger } from "../../lib/log.ts";

/** Messages to the checkpoint thread. */
export type CheckpointRequest = { type: "start"; path: string; intervalMs: number } | { type: "stop" };
/** Messages from it. */
export type CheckpointReply = { type: "failed"; message: string } | { type: "stopped" };

/** SQLite's default `wal_autocheckpoint` (pages), restored if the thread fails. */
const AUTO_CHECKPOINT_PAGES = 1000;

export interface BackgroundCheckpoints {
  /** Stops the thread and closes its connection (before the main connection closes). */
  stop(): Promise<void>;
}

/** Default WAL size past which the committing connection checkpoints itself (see above). */
export const WAL_LIMIT_BYTES = 64 << 20;

/**
 * Starts checkpointing the WAL of `db` (a file database at `path`, in WAL mode) on a worker thread.
 * `walLimitBytes`: WAL size past which a commit on `db` checkpoints inline (default 64 MiB).
 */
export function startBackgroundCheckpoints(db: Database, path: string, opts: { intervalMs?: number; walLimitBytes?: number; log?: Logger } = {}): BackgroundCheckpoints {
  const worker = new Worker(new URL("./checkpoint.worker.ts", import.meta.url));
  let alive = true;
  let stopped: (() => void) | null = null;
  const fallBack = (message: string) => {
    if (!alive) return;
    alive = false;
    opts.log?.warn("sqlite: background WAL checkpoints failed, checkpointing inline again", { err: message });
    try {
      db.run(`PRAGMA wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    } catch {
      // The main connection is closing: nothing left to checkpoint for.
    }
    worker.terminate();
    stopped?.();
  };
  worker.onmessage = (e: MessageEvent<CheckpointReply>) => {
    if (e.data.type === "failed") fallBack(e.data.message);
    else stopped?.();
  };
  worker.onerror = (e) => fallBack(e.message);
  // The thread must not keep the process alive on its own.
  worker.unref();
  // The log only starts over when a commit finds every frame already copied, which commits back to
  // back (the recorder working off a backlog) never do while the thread copies beside them. So past
  // the limit SQLite's own auto-checkpoint runs in the committing connection (by then the thread has
  // copied nearly everything), the next commit restarts the log, and the file is cut back.
  const limit = opts.walLimitBytes ?? WAL_LIMIT_BYTES;
  const pageSize = (db.query("PRAGMA page_size").get() as { page_size: number }).page_size;
  db.run(`PRAGMA wal_autocheckpoint = ${Math.max(1, Math.ceil(limit / pageSize))}`);
  db.run(`PRAGMA journal_size_limit = ${limit}`);
  worker.postMessage({ type: "start", path, intervalMs: opts.intervalMs ?? 250 } satisfies CheckpointRequest);

  let stopping: Promise<void> | null = null;
  return {
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        if (!alive) return resolve();
        stopped = () => {
          alive = false;
          worker.terminate();
          resolve();
        };
        worker.postMessage({ type: "stop" } satisfies CheckpointRequest);
      });
      return stopping;
    },
  };
}
