/**
 * The engine's records: trade tapes (per market and per account), the log of every trade id (ground
 * truth for tests), settled fundings, per-account funding payments, liquidations and PnL history.
 * Everything is bounded so a long-running simulator keeps a flat memory profile.
 */
import type { AccountMargin } from "../../../../domain/margin.ts";
import type { SimTrade } from "./events.ts";
import { Ring } from "./ring.ts";

/** A settled funding of a market. */
export interface FundingRecord {
  /** ms, on the hour. */
  time: number;
  marketId: number;
  /** Signed, 0.0001 % units. */
  rate4: number;
  /** Price ticks. */
  indexPrice: number;
}

/** One funding payment of one position. */
export interface PositionFundingRecord {
  time: number;
  marketId: number;
  fundingId: number;
  /** Signed USDC micro-units received (+) or paid (−). */
  change: number;
  rate4: number;
  /** Signed size ticks at settlement. */
  size: number;
}

/** A position as it stood at a moment (liquidation reports). */
export interface PositionSnapshot {
  marketId: number;
  size: number;
  entryQuote: number;
  imfBp: number;
  realizedPnl: number;
  fundingPaid: number;
  /** Mark price then, ticks. */
  mark: number;
}

/** One liquidation step of an account. */
export interface LiquidationRecord {
  id: number;
  account: number;
  marketId: number;
  kind: "partial" | "deleverage";
  /** Average fill price (ticks) and filled size (size ticks). */
  price: number;
  size: number;
  time: number;
  transactionTime: number;
  riskBefore: AccountMargin;
  riskAfter: AccountMargin;
  collateralBefore: number;
  collateralAfter: number;
  positionsAfter: PositionSnapshot[];
  /** Mark prices by market id, ticks. */
  marks: Record<string, number>;
}

/** A point of an account's cumulative PnL history (USDC micro-units). */
export interface PnlPoint {
  time: number;
  tradePnl: number;
  volume: number;
}

/** Bounds of the records. */
const TAPE_PER_MARKET = 10_000;
const TAPE_PER_ACCOUNT = 50;
/** Market makers trade all the time: their tapes are kept deeper. */
const TAPE_PER_MAKER = 5_000;
const TRADE_ID_LOG = 500_000;
const FUNDINGS_PER_MARKET = 24 * 120;
const FUNDINGS_PER_ACCOUNT = 500;
const LIQUIDATIONS_PER_ACCOUNT = 200;
const PNL_POINTS_PER_ACCOUNT = 200;

const ringOf = <K, T>(map: Map<K, Ring<T>>, key: K, capacity: number): Ring<T> => {
  let ring = map.get(key);
  if (!ring) {
    ring = new Ring<T>(capacity);
    map.set(key, ring);
  }
  return ring;
};

/** All records of one engine. */
export class Ledger {
  readonly tradesByMarket = new Map<number, Ring<SimTrade>>();
  readonly tradesByAccount = new Map<number, Ring<SimTrade>>();
  /** Every trade id produced, per market (bounded to the newest 500,000). */
  readonly tradeIds = new Map<number, Ring<number>>();
  readonly fundings = new Map<number, Ring<FundingRecord>>();
  readonly positionFundings = new Map<number, Ring<PositionFundingRecord>>();
  readonly liquidations = new Map<number, Ring<LiquidationRecord>>();
  readonly pnl = new Map<number, Ring<PnlPoint>>();
  liquidationCount = 0;
  /** Accounts whose trade tape is kept deeper (market makers). */
  readonly deepTapes = new Set<number>();

  private lastMarket = -1;
  private lastTape: Ring<SimTrade> | undefined;
  private lastIds: Ring<number> | undefined;

  recordTrade(trade: SimTrade): void {
    if (trade.marketId !== this.lastMarket || !this.lastTape || !this.lastIds) {
      this.lastMarket = trade.marketId;
      this.lastTape = ringOf(this.tradesByMarket, trade.marketId, TAPE_PER_MARKET);
      this.lastIds = ringOf(this.tradeIds, trade.marketId, TRADE_ID_LOG);
    }
    this.lastTape.push(trade);
    this.lastIds.push(trade.tradeId);
    for (const account of [trade.taker.account, trade.maker.account]) {
      ringOf(this.tradesByAccount, account, this.deepTapes.has(account) ? TAPE_PER_MAKER : TAPE_PER_ACCOUNT).push(trade);
    }
  }

  recordFunding(record: FundingRecord): void {
    ringOf(this.fundings, record.marketId, FUNDINGS_PER_MARKET).push(record);
  }

  recordPositionFunding(account: number, record: PositionFundingRecord): void {
    ringOf(this.positionFundings, account, FUNDINGS_PER_ACCOUNT).push(record);
  }

  recordLiquidation(record: LiquidationRecord): void {
    ringOf(this.liquidations, record.account, LIQUIDATIONS_PER_ACCOUNT).push(record);
    this.liquidationCount++;
  }

  /** Appends a PnL point; points within the same second overwrite each other. */
  recordPnl(account: number, time: number, tradePnl: number, volume: number): void {
    const ring = ringOf(this.pnl, account, PNL_POINTS_PER_ACCOUNT);
    const last = ring.last();
    if (last && Math.floor(last.time / 1000) === Math.floor(time / 1000)) {
      last.tradePnl = tradePnl;
      last.volume = volume;
      return;
    }
    ring.push({ time, tradePnl, volume });
  }
}
