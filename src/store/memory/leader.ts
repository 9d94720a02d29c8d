/**
 * The leader lock of the embedded single-node mode (SQLite file, no Redis). Only one process uses
 * the store, so there is nobody to exclude and the lock always wins. Keeping it behind the same port
 * lets the composition root run the same election loop in every mode.
 */
import type { LeaderLock } from "../ports.ts";

/** Creates a lock that is acquired on the first `tryAcquire` and held until `release`. */
export function createLocalLeaderLock(): LeaderLock {
  let held = false;
  return {
    kind: "local",
    get isLeader() {
      return held;
    },
    async tryAcquire() {
      held = true;
      return true;
    },
    async release() {
      held = false;
    },
  };
}
