/**
 * The account book of a node that runs no tracker: it holds what the ingest leader published
 * (src/ingest/account-replica.ts) and nothing else. Accounts are replaced whole from the leader's
 * records; views, heatmaps and the routes read it exactly like a tracker's book.
 */
import { AccountBook } from "./account-book";
import type { PositionState } from "./account.events";
import type { TrackedAccount } from "./tracked-account";

/** One account as the leader publishes it (already decoded): the tracker's record without its memos and fill history, positions as a list. */
export type ReplicatedAccount = Omit<TrackedAccount, "positions" | "version" | "recent" | "funding" | "liquidationMemo" | "risk" | "view"> & {
  positions: PositionState[];
};

export class ReplicaBook extends AccountBook {
  constructor(venue: string) {
    super(venue, Number.MAX_SAFE_INTEGER);
  }

  /** Replaces (or adds) an account with the leader's state of it. */
  adopt(r: ReplicatedAccount): void {
    const acct = this.track(r.id, r.firstSeen)?.account;
    if (!acct) return;
    acct.collateral = r.collateral;
    if (r.l1Address) this.setAddress(acct, r.l1Address);
    this.replacePositions(acct, r.positions);
    acct.orders = r.orders;
    acct.ordersTotal = r.ordersTotal;
    acct.ordersAt = r.ordersAt;
    acct.firstSeen = r.firstSeen;
    acct.syncedAt = r.syncedAt;
    acct.needsSync = r.needsSync;
    acct.missing = r.missing;
    this.touch(acct, r.updatedAt);
    acct.updatedAt = r.updatedAt;
  }
}
