/**
 * WAL checkpoints off the event loop. With SQLite's default auto-checkpoint, the commit that takes
 * the WAL past 1000 pages copies the whole WAL into the database file and fsyncs it, inside that
 * commit, on the thread that committed: with the recorder writing every few milliseconds that was a
 * recurring 5–40 ms stall of the ingest node's event loop (far more when the disk is busy).
 *
 * Here the main connection's auto-checkpoint is turned off and a worker thread with its own
 * connection checkpoints every `intervalMs` instead. Durability is unchanged: committed
 * transactions are in the WAL either way, and a WAL left behind by a killed process is recovered
 * when the file is next opened. If the thread fails, auto-checkpoint is turned back on.
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

/** Starts checkpointing the WAL of `db` (a file database at `path`, in WAL mode) on a worker thread. */
export function startBackgroundCheckpoints(db: Database, path: string, opts: { intervalMs?: number; log?: Logger } = {}): BackgroundCheckpoints {
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
  db.run("PRAGMA wal_autocheckpoint = 0");
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
