/**
 * What an AccountTracker consumes (venue-neutral inputs, translated from the venue client by the
 * account router and the refresher) and what it emits. Prices and sizes are integers in venue
 * units; money is USDC in micro-units; times are ms.
 */
import type { AccountFillRecord, TradeKind } from "../../store/ports";

/** The facts of a market the margin maths needs. */
export interface MarketRisk {
  marketId: number;
  symbol: string;
  priceDecimals: number;
  sizeDecimals: number;
  /** Maintenance and close-out margin fractions, basis points. */
  mmfBp: number;
  closeoutBp: number;
}

/** One position as held by the tracker (one-way net, reference §E.1). */
export interface PositionState {
  marketId: number;
  /** Signed size, size ticks. */
  size: number;
  /** size × average entry, micro-units, unsigned. */
  entryQuote: number;
  /** The account's leverage choice in this market, bp (500 = 20×). */
  imfBp: number;
  /** Running totals of the position, micro-units. */
  realizedPnl: number;
  /** Funding paid out (negative: received). */
  fundingPaid: number;
  /** 0 cross, 1 isolated. */
  marginMode: 0 | 1;
  /** Isolated margin, micro-units (0 for cross). */
  allocatedMargin: number;
}

/** A resting order of an account. */
export interface OrderState {
  id: string;
  marketId: number;
  isAsk: boolean;
  price: number;
  /** Initial and remaining size, size ticks. */
  size: number;
  remaining: number;
  type: string;
  reduceOnly: boolean;
  /** Trigger price in ticks (0: none). */
  triggerPrice: number;
  /** ms. */
  createdAt: number;
}

/** One account's side of a trade, with the position it had before (when the venue says). */
export interface FillInput {
  accountId: number;
  marketId: number;
  tradeId: number;
  ts: number;
  isBuy: boolean;
  role: "maker" | "taker";
  price: number;
  size: number;
  kind: TradeKind;
  /** Fee rate in millionths of notional. */
  feeRate: number;
  /** The account's position just before the fill (signed size, entry quote, IMF bp), or null. */
  before: { size: number; entryQuote: number; imfBp: number } | null;
  /** When we received it (our clock). */
  receivedAt: number;
}

/** An account as the venue's REST API reports it. */
export interface AccountSnapshotInput {
  accountId: number;
  l1Address: string | null;
  collateral: number;
  positions: PositionState[];
}

/** A settled funding payment of one position (exact, from the venue's account channel). */
export interface FundingPaymentInput {
  marketId: number;
  /** Settlement time, ms. */
  ts: number;
  /** Signed USDC received (negative: paid), micro-units. */
  change: number;
}

/** Refresh urgency: 0 urgent (drift, liquidation, asked for), 1 new account, 2 background. */
export type RefreshPriority = 0 | 1 | 2;

export type TrackerInput =
  | { type: "markets.loaded"; markets: MarketRisk[] }
  | { type: "feed.mark"; marketId: number; mark: number; index: number | null; ts: number }
  | { type: "feed.fills"; fills: FillInput[] }
  /** `account_all`: the account's positions (without collateral) and funding payments. */
  | { type: "feed.account"; accountId: number; positions: PositionState[]; fundings: FundingPaymentInput[]; ts: number }
  /** A market's funding settlement seen in its stats; payments are estimated until the next snapshot. */
  | { type: "feed.funding"; marketId: number; ts: number; rate4: number; index: number }
  /** Several feed events of one shard, in arrival order, applied in one step (one per loop turn). */
  | { type: "feed.batch"; items: TrackerFeedItem[] }
  | { type: "feed.disconnected" }
  | { type: "account.track"; ids: number[]; reason: "discovered" | "requested" | "configured"; ts: number }
  | { type: "rest.account"; snapshot: AccountSnapshotInput; requestedAt: number; ts: number }
  | { type: "rest.orders"; accountId: number; orders: OrderState[]; total: number; ts: number }
  | { type: "rest.notFound"; accountId: number; ts: number }
  | { type: "rest.failed"; accountId: number; ts: number; error: string }
  | { type: "restore.loaded"; accounts: PersistedAccount[] };

/** The feed events a `feed.batch` carries. */
export type TrackerFeedItem = Extract<TrackerInput, { type: "feed.mark" | "feed.fills" | "feed.account" | "feed.funding" }>;

/** What the tracker tells the rest of the engine. */
export type TrackerEmitted =
  /** Fills of tracked accounts, ready for the store. */
  | { type: "fills.observed"; rows: AccountFillRecord[] }
  /** Accounts whose venue account channel should be followed (or no longer). */
  | { type: "stream.changed"; add: number[]; remove: number[] };

/** A tracked account as persisted (warm restarts, read-only nodes). */
export interface PersistedAccount {
  id: number;
  l1Address: string | null;
  collateral: number | null;
  positions: PositionState[];
  firstSeen: number;
  syncedAt: number | null;
  updatedAt: number;
}
