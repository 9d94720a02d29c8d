/**
 * The ingest leader's side of account replication (account-replication.ts): every `intervalMs` it
 * writes the accounts that changed since the last round as one delta, the marks and (when it
 * changed) the market list, then the head. Every `fullEveryMs` it also writes the full snapshot a
 * replica starts from. Each account's record text is kept per account version, so a full snapshot
 * re-serializes only what changed.
 *
 * Rounds never overlap: a slow cache delays the next round instead of stacking writes.
 */
import type { AccountBook, TrackedAccount } from "../actors/accounts/account-book";
import type { MarketRisk } from "../actors/accounts/account.events";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import { periodic } from "../lib/periodic";
import type { Cache } from "../store/ports";
import { HEAD_TTL_MS, payloadJson, replicationKeys, toAccountRecord, type MarkTuple, type ReplicationHead } from "./account-replication";

export interface AccountPublisherOptions {
  venue: string;
  cache: Pick<Cache, "set">;
  clock: Clock;
  log: Logger;
  books: () => AccountBook[];
  markets: () => MarketRisk[];
  intervalMs: number;
  /** Cadence of full snapshots (replicas bootstrap from the newest); infinite: only the run's first. */
  fullEveryMs: number;
  /** Names this run; a replica that sees a new run reloads. */
  run?: string;
}

export interface AccountPublisher {
  /** One round now (tests; the timer calls it every `intervalMs`). */
  publish(): Promise<void>;
  stop(): void;
}

export function startAccountPublisher(o: AccountPublisherOptions): AccountPublisher {
  const run = o.run ?? crypto.randomUUID().slice(0, 8);
  const keys = replicationKeys;
  // Keyed by the account object too: a restarted shard's accounts are new objects whose versions
  // start again, and must not be taken for unchanged.
  const texts = new Map<number, { acct: TrackedAccount; version: number; text: string }>();
  // Deltas live long enough for a replica to catch up across a few full-snapshot periods (a run
  // that writes only its first full snapshot, `fullEveryMs` infinite, keeps them 30 minutes).
  const period = Math.min(o.fullEveryMs, 600_000);
  const deltaTtl = Math.max(60_000, 3 * period);
  const fullTtl = Math.max(300_000, 3 * period);
  let seq = 0;
  let fullSeq = -1;
  let fullAt = Number.NEGATIVE_INFINITY;
  let marketsJson = "";

  const round = async () => {
    const changed: string[] = [];
    for (const book of o.books()) {
      for (const acct of book.accounts.values()) {
        const hit = texts.get(acct.id);
        if (hit?.acct === acct && hit.version === acct.version) continue;
        const text = JSON.stringify(toAccountRecord(acct));
        texts.set(acct.id, { acct, version: acct.version, text });
        changed.push(text);
      }
    }
    const markets = o.markets();
    const mj = JSON.stringify(markets);
    const marketsChanged = mj !== marketsJson;
    marketsJson = mj;
    const marks: MarkTuple[] = [];
    const book = o.books()[0];
    if (book) for (const [id, m] of book.marks) marks.push([id, m.mark, m.index, m.ts]);
    const now = o.clock.now();
    seq++;
    await o.cache.set(keys.delta(o.venue, run, seq), payloadJson({ ...(marketsChanged ? { markets } : {}), marks }, changed), deltaTtl);
    if (fullSeq < 0 || now - fullAt >= o.fullEveryMs) {
      const all: string[] = [];
      for (const t of texts.values()) all.push(t.text);
      await o.cache.set(keys.full(o.venue, run), payloadJson({ seq, markets, marks }, all), fullTtl);
      fullSeq = seq;
      fullAt = now;
    }
    const head: ReplicationHead = { run, seq, full: fullSeq, ts: now };
    await o.cache.set(keys.head(o.venue), JSON.stringify(head), HEAD_TTL_MS);
  };

  const rounds = periodic({
    clock: o.clock, everyMs: o.intervalMs, task: round,
    onError: (err) => o.log.warn("accounts: publishing account state to the cache failed; retrying next round", { err }),
  });
  rounds.start(false);
  return { publish: rounds.run, stop: rounds.stop };
}
