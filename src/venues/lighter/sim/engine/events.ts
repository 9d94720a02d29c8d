/**
 * What the engine produces. Everything is in engine units (ticks, USDC micro-units, ms/µs); the
 * server and the history runner turn these into wire frames. Events are emitted synchronously, in
 * virtual-time order, so a listener sees exactly the order the engine applied them in.
 */
import type { LevelTuple } from "./book.ts";

/** Trade kinds of the venue (reference §B.2 trade `type`). */
export type SimTradeType = "trade" | "liquidation" | "deleverage";

/** Position state of one side just before a fill (the trade's `*_before` fields). */
export interface FillParty {
  account: number;
  orderIndex: number;
  clientOrderIndex: number;
  /** Signed size before the fill, size ticks. */
  sizeBefore: number;
  /** Entry quote before the fill, USDC micro-units (unsigned). */
  entryQuoteBefore: number;
  imfBpBefore: number;
  signChanged: boolean;
  /** PnL this fill realised for the party, USDC micro-units. */
  realizedPnl: number;
  /** Fee rate in millionths of notional. */
  feeRate: number;
}

/** One fill between a taker and a maker (or, for `deleverage`, the insurance fund). */
export interface SimTrade {
  tradeId: number;
  marketId: number;
  type: SimTradeType;
  /** Size ticks. */
  size: number;
  /** Price ticks. */
  price: number;
  /** size × price, USDC micro-units. */
  quote: number;
  /** True when the resting order was the ask (the taker bought). */
  isMakerAsk: boolean;
  taker: FillParty;
  maker: FillParty;
  blockHeight: number;
  /** ms. */
  timestamp: number;
  /** µs. */
  transactionTime: number;
  txHash: string;
}

/** One order-book delta of a market: levels carry new absolute sizes (0 removes the level). */
export interface BookDeltaEvent {
  type: "book.delta";
  marketId: number;
  /** Equals the previous delta's `nonce` of this market. */
  beginNonce: number;
  nonce: number;
  /** Per-market version counter (+1 per delta). */
  offset: number;
  /** ms. */
  time: number;
  /** µs. */
  timeUs: number;
  asks: LevelTuple[];
  bids: LevelTuple[];
}

/** The trades of one engine action on one market (published as one `update/trade` frame). */
export interface TradesEvent {
  type: "trades";
  marketId: number;
  /** The nonce of the book delta the same action produced. */
  nonce: number;
  time: number;
  trades: SimTrade[];
  /** Liquidation and deleverage fills, reported apart (`liquidation_trades`). */
  liquidationTrades: SimTrade[];
}

/** An hourly funding settlement of one market. */
export interface FundingEvent {
  type: "funding";
  marketId: number;
  /** Settlement time, ms (on the hour). */
  time: number;
  /** Signed hourly rate in units of 0.0001 % (truncated toward zero): 12 = 0.0012 %/h. */
  rate4: number;
  /** Index price at settlement, price ticks. */
  indexPrice: number;
  /** Accounts paid or charged. */
  accounts: number;
}

/** A liquidation step of an account (one IOC order, or the insurance-fund take-over). */
export interface LiquidationEvent {
  type: "liquidation";
  liquidationId: number;
  account: number;
  marketId: number;
  kind: "partial" | "deleverage";
  time: number;
  /** Filled size (size ticks) and average price (price ticks). */
  size: number;
  price: number;
}

/** Emitted once per virtual second: index, mark, funding estimate and 24h stats moved. */
export interface StatsEvent {
  type: "stats";
  time: number;
}

/** A new L2 block. */
export interface HeightEvent {
  type: "height";
  height: number;
  time: number;
}

/** Accounts whose positions, collateral or orders changed during one engine action. */
export interface AccountsEvent {
  type: "accounts";
  time: number;
  accounts: number[];
}

/** Every event the engine emits. */
export type SimEvent =
  | BookDeltaEvent
  | TradesEvent
  | FundingEvent
  | LiquidationEvent
  | StatsEvent
  | HeightEvent
  | AccountsEvent;

/** A listener of engine events. */
export type SimListener = (event: SimEvent) => void;
