/**
 * The accounts read model over a set of sharded account books (account id mod shard count): what
 * the ingest node serves from its trackers' memory. Lookups and tracking requests go to the
 * callbacks the owner supplies.
 */
import type { AccountBook, TrackedAccount } from "./account-book";
import type { HeatmapPosition } from "../../domain/heatmap";
import { viewOf, type AccountView } from "./account-view";
import { heatmapInput } from "./heatmap-inputs";
import type { AccountsReadModel, AccountsStats } from "./read-model";

export interface BooksModelOptions {
  shards: number;
  /** The current book of shard `k` (undefined while it restarts). */
  book(k: number): AccountBook | undefined;
  request?(ids: readonly number[]): void;
  lookupAddress?(address: string): void;
  stats?(): AccountsStats;
}

/** A read model over the books; every view is memoised inside its book. */
export function createBooksModel(o: BooksModelOptions): AccountsReadModel & { books(): AccountBook[] } {
  const shardOf = (id: number) => id % o.shards;
  const books = () => {
    const out: AccountBook[] = [];
    for (let k = 0; k < o.shards; k++) {
      const b = o.book(k);
      if (b) out.push(b);
    }
    return out;
  };
  const first = () => books()[0];
  const viewIn = (b: AccountBook, id: number): AccountView[] => {
    const acct = b.accounts.get(id);
    return acct ? [viewOf(b, acct)] : [];
  };
  return {
    available: true,
    books,
    view(id) {
      const b = o.book(shardOf(id));
      const acct = b?.accounts.get(id);
      return b && acct ? viewOf(b, acct) : undefined;
    },
    byAddress: (address) => books().flatMap((b) => b.byL1(address).flatMap((id) => viewIn(b, id))),
    missing: (id) => o.book(shardOf(id))?.accounts.get(id)?.missing ?? false,
    request: (ids) => o.request?.(ids),
    lookupAddress: (address) => o.lookupAddress?.(address),
    inMarket(marketId) {
      const out: AccountView[] = [];
      for (const b of books()) for (const id of b.inMarket(marketId)) out.push(...viewIn(b, id));
      return out;
    },
    marketPositions(marketId) {
      const out: HeatmapPosition[] = [];
      for (const b of books()) for (const id of b.inMarket(marketId)) out.push(heatmapInput(b, b.accounts.get(id) as TrackedAccount, marketId));
      return out;
    },
    *withPositions() {
      for (const b of books()) for (const a of b.accounts.values()) if (a.positions.size > 0) yield viewOf(b, a);
    },
    market: (marketId) => first()?.markets.get(marketId),
    markets: () => [...(first()?.markets.values() ?? [])],
    mark: (marketId) => first()?.marks.get(marketId)?.mark,
    stats() {
      if (o.stats) return o.stats();
      let accounts = 0;
      let synced = 0;
      for (const b of books()) {
        accounts += b.size;
        for (const a of b.accounts.values()) if (a.syncedAt !== null) synced++;
      }
      return { shards: o.shards, accounts, synced, streamed: 0, refreshQueued: 0, refreshInFlight: 0 };
    },
  };
}
