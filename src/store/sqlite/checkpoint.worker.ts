/**
 * The WAL checkpoint thread (see checkpointer.ts): its own connection to the database file, running
 * a PASSIVE checkpoint every interval. PASSIVE copies what it can without waiting for readers or
 * writers, so the main thread's transactions never wait on it.
 */
import { Database } from "bun:sqlite";
import type { CheckpointReply, CheckpointRequest } from "./checkpointer.ts";

declare const self: Worker;

let db: Database | null = null;
let timer: ReturnType<typeof setInterval> | null = null;

const checkpoint = () => {
  try {
    db?.run("PRAGMA wal_checkpoint(PASSIVE)");
  } catch (err) {
    // SQLITE_BUSY and the like: the next interval tries again. Anything else is reported once.
    const message = err instanceof Error ? err.message : String(err);
    if (!/busy|locked/i.test(message)) self.postMessage({ type: "failed", message } satisfies CheckpointReply);
  }
};

self.onmessage = (e: MessageEvent<CheckpointRequest>) => {
  const msg = e.data;
  if (msg.type === "start") {
    try {
      db = new Database(msg.path, { readwrite: true });
      db.run("PRAGMA busy_timeout = 0");
    } catch (err) {
      self.postMessage({ type: "failed", message: err instanceof Error ? err.message : String(err) } satisfies CheckpointReply);
      return;
    }
    timer = setInterval(checkpoint, msg.intervalMs);
    return;
  }
  if (timer) clearInterval(timer);
  timer = null;
  db?.close();
  db = null;
  self.postMessage({ type: "stopped" } satisfies CheckpointReply);
};
