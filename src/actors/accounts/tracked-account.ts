/**
 * One tracked venue account as its shard's book holds it, and the outcome of applying fills.
 */
import type { AccountFillRecord } from "../../store/ports";
import type { FillInput, OrderState, PositionState } from "./account.events";
import type { AccountView } from "./account-view";
import type { LiquidationMemo } from "../../domain/margin";
import type { RiskMemo } from "./heatmap-inputs";

/** One tracked account. */
export interface TrackedAccount {
  id: number;
  l1Address: string | null;
  /** Cross USDC collateral, micro-units; null until the first REST snapshot. */
  collateral: number | null;
  positions: Map<number, PositionState>;
  orders: OrderState[] | null;
  ordersTotal: number;
  ordersAt: number | null;
  firstSeen: number;
  updatedAt: number;
  /** Last REST snapshot applied. */
  syncedAt: number | null;
  /** Drift or estimated funding since the last snapshot: a resync is due. */
  needsSync: boolean;
  /** The venue does not know this account. */
  missing: boolean;
  /** Bumped on every change (memo key of views and of persistence). */
  version: number;
  recent: FillInput[];
  /** Funding settlements booked per market: hour → exact (true) or estimated amount. */
  funding: Map<number, { hour: number; exact: boolean; amount: number }>;
  /** Liquidation prices by their exact inputs (domain/margin.ts): reused while only own marks move. */
  liquidationMemo?: LiquidationMemo;
  /** Heatmap figures per market (heatmap-inputs.ts): valid while the account and its other markets' marks are unchanged. */
  risk?: Map<number, RiskMemo>;
  /** Memoised derived view (account-view.ts): valid while the account and its markets' marks are unchanged. */
  view?: { version: number; marketsEpoch: number; marks: number[]; value: AccountView };
}

/** Outcome of applying a batch of fills. */
export interface FillsOutcome {
  rows: AccountFillRecord[];
  /** Accounts now known to differ from the venue (resync urgently). */
  drifted: number[];
  /** Accounts seen for the first time. */
  created: number[];
  /** Accounts liquidated by one of the fills (the venue also charged a fee no trade shows). */
  liquidated: number[];
}

/** A flat position of a market (the start of one opened by a fill). */
export const emptyPosition = (marketId: number, imfBp: number): PositionState => ({
  marketId, size: 0, entryQuote: 0, imfBp, realizedPnl: 0, fundingPaid: 0, marginMode: 0, allocatedMargin: 0,
});

/** A newly tracked account: nothing known yet but its id. */
export function newTrackedAccount(id: number, now: number): TrackedAccount {
  return {
    id, l1Address: null, collateral: null, positions: new Map(), orders: null, ordersTotal: 0, ordersAt: null, firstSeen: now,
    updatedAt: now, syncedAt: null, needsSync: false, missing: false, version: 1, recent: [], funding: new Map(),
  };
}
