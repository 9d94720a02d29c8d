/**
 * The accounts read model: what REST routes, the samplers and the WebSocket heatmap read about
 * tracked accounts. On the ingest node it is the trackers' own memory (a read never waits on the
 * store or the venue); on other nodes, with Redis, a replica of what the leader publishes
 * (ingest/account-replica.ts); where neither exists it is unavailable and the routes answer 503.
 * `createAccountsSlot` lets the composition root hand routes a model before the ingest pipeline
 * (which owns the trackers) starts, and after it stops.
 */
import type { AccountView } from "./account-view";
import type { MarketRisk } from "./account.events";
import type { HeatmapPosition } from "../../domain/heatmap";

/** Counters for /status and tests. */
export interface AccountsStats {
  shards: number;
  accounts: number;
  /** Accounts whose collateral is known (a REST snapshot was applied). */
  synced: number;
  /** Accounts followed on the venue's account channel. */
  streamed: number;
  /** REST requests queued and in flight at the refresher. */
  refreshQueued: number;
  refreshInFlight: number;
}

export interface AccountsReadModel {
  /** False where no tracker runs (the routes answer 503 service_unavailable). */
  readonly available: boolean;
  /** The view of a tracked account (undefined: not tracked). */
  view(id: number): AccountView | undefined;
  /** Tracked accounts owned by an L1 address. */
  byAddress(address: string): AccountView[];
  /** True once the venue said it has no such account. */
  missing(id: number): boolean;
  /** Starts tracking accounts a client asked about (a REST lookup at top priority). */
  request(ids: readonly number[]): void;
  /** Looks up an L1 address's accounts at the venue and tracks them. */
  lookupAddress(address: string): void;
  /** Views of every account with an open position in `marketId`. */
  inMarket(marketId: number): AccountView[];
  /** Every tracked account with an open position. */
  withPositions(): Iterable<AccountView>;
  /** The heatmap inputs of every tracked open position in `marketId`, at the current mark. */
  marketPositions(marketId: number): HeatmapPosition[];
  market(marketId: number): MarketRisk | undefined;
  /** Every perp market the tracker knows. */
  markets(): MarketRisk[];
  /** The latest mark (price ticks) of a market. */
  mark(marketId: number): number | undefined;
  stats(): AccountsStats;
}

/** A model that is never available. */
export const unavailableAccounts: AccountsReadModel = Object.freeze({
  available: false,
  view: () => undefined,
  byAddress: () => [],
  missing: () => false,
  request: () => {},
  lookupAddress: () => {},
  inMarket: () => [],
  withPositions: () => [],
  marketPositions: () => [],
  market: () => undefined,
  markets: () => [],
  mark: () => undefined,
  stats: () => ({ shards: 0, accounts: 0, synced: 0, streamed: 0, refreshQueued: 0, refreshInFlight: 0 }),
});

/** A read model whose implementation is plugged in and out at run time. */
export interface AccountsSlot extends AccountsReadModel {
  attach(model: AccountsReadModel): void;
  detach(model: AccountsReadModel): void;
}

/** A slot that forwards to the attached model, or answers as unavailable. */
export function createAccountsSlot(): AccountsSlot {
  let current: AccountsReadModel = unavailableAccounts;
  return {
    get available() {
      return current.available;
    },
    view: (id) => current.view(id),
    byAddress: (a) => current.byAddress(a),
    missing: (id) => current.missing(id),
    request: (ids) => current.request(ids),
    lookupAddress: (a) => current.lookupAddress(a),
    inMarket: (m) => current.inMarket(m),
    withPositions: () => current.withPositions(),
    marketPositions: (m) => current.marketPositions(m),
    market: (m) => current.market(m),
    markets: () => current.markets(),
    mark: (m) => current.mark(m),
    stats: () => current.stats(),
    attach(model) {
      current = model;
    },
    detach(model) {
      if (current === model) current = unavailableAccounts;
    },
  };
}
