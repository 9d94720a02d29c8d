/**
 * The accounts read model of a node that runs no tracker (ROLE=api, or an ingest standby): a
 * replica of the leader's tracked accounts, kept from what the leader publishes to the shared
 * cache (account-publisher.ts, format in account-replication.ts). Reads are served from memory,
 * exactly as on the leader (same book type, same views); only the freshness differs: a change on
 * the leader is visible here within one publish interval plus one poll interval.
 *
 * The replica polls the head; it applies the deltas it has not seen, in order, and reloads the
 * full snapshot when the run changed or a delta is gone. When the head has not advanced for
 * `staleAfterMs` (no leader publishing) it reports itself unavailable, so routes answer 503
 * instead of serving state that has stopped moving. Tracking requests go to the leader over `requests`.
 */
import { ReplicaBook, type ReplicatedAccount } from "../actors/accounts/replica-book";
import { createBooksModel } from "../actors/accounts/books-model";
import type { AccountsReadModel } from "../actors/accounts/read-model";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import { periodic } from "../lib/periodic";
import type { Cache } from "../store/ports";
import { fromPositionTuple } from "./account-state";
import { HEAD_TTL_MS, replicationKeys, type AccountRecord, type ReplicationDelta, type ReplicationFull, type ReplicationHead } from "./account-replication";
import type { AccountRequests } from "./account-requests";

export interface AccountReplicaOptions {
  venue: string;
  cache: Cache;
  clock: Clock;
  log: Logger;
  pollMs: number;
  staleAfterMs?: number;
  requests?: Pick<AccountRequests, "publish">;
}

export interface AccountReplica extends AccountsReadModel {
  /** Starts (or resumes) polling. */
  start(): void;
  /** Stops polling; the state is kept (and goes stale). */
  stop(): void;
  /** One poll now (tests; the timer calls it every `pollMs`). */
  poll(): Promise<void>;
  /** The run and delta the replica has applied (null: nothing loaded yet). */
  position(): { run: string; seq: number } | null;
}

const decode = (r: AccountRecord): ReplicatedAccount => ({
  id: r.i, l1Address: r.a, collateral: r.c, positions: r.p.map(fromPositionTuple), orders: r.o, ordersTotal: r.ot, ordersAt: r.oa,
  firstSeen: r.f, updatedAt: r.u, syncedAt: r.s, needsSync: r.n === 1, missing: r.m === 1,
});

export function createAccountReplica(o: AccountReplicaOptions): AccountReplica {
  const keys = replicationKeys;
  const staleAfter = o.staleAfterMs ?? HEAD_TTL_MS;
  let book = new ReplicaBook(o.venue);
  let run: string | null = null;
  let seq = 0;
  let headSeen = { run: "", seq: -1, at: Number.NEGATIVE_INFINITY };

  const apply = (target: ReplicaBook, d: ReplicationDelta) => {
    if (d.markets) target.setMarkets(d.markets);
    for (const [id, mark, index, ts] of d.marks) target.setMark(id, mark, index, ts);
    for (const r of d.accounts) target.adopt(decode(r));
  };

  /** Loads the run's full snapshot into a fresh book (readers keep the old one until it is ready). */
  const reload = async (head: ReplicationHead): Promise<boolean> => {
    const raw = await o.cache.get(keys.full(o.venue, head.run));
    if (!raw) return false;
    const full = JSON.parse(raw) as ReplicationFull;
    const next = new ReplicaBook(o.venue);
    apply(next, full);
    book = next;
    run = head.run;
    seq = full.seq;
    return true;
  };

  const pollOnce = async () => {
    const rawHead = await o.cache.get(keys.head(o.venue));
    if (!rawHead) return;
    const head = JSON.parse(rawHead) as ReplicationHead;
    // The leader publishes a new delta every round, changes or not: a head that stops advancing
    // means no leader is publishing (measured on this node's clock, so no clock skew between nodes).
    if (head.run !== headSeen.run || head.seq !== headSeen.seq) headSeen = { run: head.run, seq: head.seq, at: o.clock.now() };
    if ((head.run !== run || head.seq < seq) && !(await reload(head))) return;
    let reloaded = false;
    while (seq < head.seq) {
      const raw = await o.cache.get(keys.delta(o.venue, head.run, seq + 1));
      if (raw) {
        apply(book, JSON.parse(raw) as ReplicationDelta);
        seq++;
        continue;
      }
      // Expired (this node fell behind): start again from the full snapshot. If that is older
      // than the gap too, wait for the next one rather than spin.
      if (reloaded || !(await reload(head))) return;
      reloaded = true;
    }
  };

  const polling = periodic({
    clock: o.clock, everyMs: o.pollMs, task: pollOnce,
    onError: (err) => o.log.warn("accounts: reading the leader's account state failed; retrying", { err }),
  });

  const model = createBooksModel({
    shards: 1,
    book: () => book,
    request: (ids) => o.requests?.publish({ ids: [...ids] }),
    lookupAddress: (address) => o.requests?.publish({ address }),
  });
  return {
    ...model,
    get available() {
      return run !== null && o.clock.now() - headSeen.at <= staleAfter;
    },
    start: () => polling.start(),
    stop: () => polling.stop(),
    poll: polling.run,
    position: () => (run === null ? null : { run, seq }),
  };
}
