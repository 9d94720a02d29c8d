/**
 * Simulated accounts: USDC collateral and one-way net cross positions (reference §E.1). Money is in
 * USDC micro-units and sizes in size ticks, kept as safe integers; the margin figures themselves come
 * from `domain/margin.ts` over bigints.
 */
import { accountMargin, type AccountMargin, type MarginPosition } from "../../../../domain/margin.ts";
import { quoteMicro, type MarketSpec } from "./markets.ts";

/** The insurance fund's account index (reference §B.1). */
export const INSURANCE_FUND_INDEX = 281_474_976_710_655;

/** An account's net position in one market. */
export interface SimPosition {
  marketId: number;
  /** Signed size, size ticks (positive long). */
  size: number;
  /** size × average entry, USDC micro-units, unsigned. */
  entryQuote: number;
  /** The account's leverage choice for this market, bp. */
  imfBp: number;
  /** Running totals, USDC micro-units. */
  realizedPnl: number;
  /** Funding paid out (negative when received). */
  fundingPaid: number;
}

/** Who an account is in the simulation. */
export type AccountRole = "maker" | "trader" | "insurance";

/** A simulated account. */
export interface SimAccount {
  index: number;
  l1Address: string;
  /** 0 main, 1 sub-account. */
  accountType: 0 | 1;
  role: AccountRole;
  /** Cross USDC collateral, micro-units (deposits + realised PnL + funding − fees). */
  collateral: number;
  /** Net deposits, micro-units (the pnl endpoint's inflow). */
  deposited: number;
  positions: Map<number, SimPosition>;
  /** Preferred IMF per market id, bp (leverage = 10000 / imf). */
  imfPrefs: Map<number, number>;
  /** Fee rates in millionths of notional (0 for standard accounts). */
  takerFee: number;
  makerFee: number;
  /** Resting order ids. */
  orders: Set<number>;
  /** Count of orders ever placed and account transaction nonce. */
  orderCount: number;
  nonce: number;
  /** Cumulative traded quote volume, micro-units. */
  volume: number;
  /** Created, seconds. */
  createdAt: number;
  /** Virtual time of the next liquidation screening (accounts far from liquidation wait longer). */
  nextRiskCheck: number;
}

/** The before-state of one side of a fill, and what the fill realised. */
export interface FillEffect {
  sizeBefore: number;
  entryQuoteBefore: number;
  imfBpBefore: number;
  signChanged: boolean;
  realized: number;
  /** Change of this account's long exposure (open-interest bookkeeping), size ticks. */
  longDelta: number;
}

/** Applies a fill of `qty` at `price` to an account's position in `spec`'s market. */
export function applyFill(acct: SimAccount, spec: MarketSpec, isBuy: boolean, qty: number, price: number, fee: number): FillEffect {
  let pos = acct.positions.get(spec.id);
  if (!pos) {
    pos = { marketId: spec.id, size: 0, entryQuote: 0, imfBp: acct.imfPrefs.get(spec.id) ?? spec.defaultImfBp, realizedPnl: 0, fundingPaid: 0 };
    acct.positions.set(spec.id, pos);
  }
  const before = { size: pos.size, entryQuote: pos.entryQuote, imf: pos.imfBp };
  const quote = quoteMicro(spec, qty, price);
  const signed = isBuy ? qty : -qty;
  let realized = 0;
  if (pos.size === 0 || Math.sign(pos.size) === Math.sign(signed)) {
    pos.size += signed;
    pos.entryQuote += quote;
  } else {
    const held = Math.abs(pos.size);
    const closing = Math.min(qty, held);
    // entryQuote × closing may pass 2^53: take the proportional share in bigint.
    const closedEntry = Number((BigInt(pos.entryQuote) * BigInt(closing)) / BigInt(held));
    const closedQuote = quoteMicro(spec, closing, price);
    realized = pos.size > 0 ? closedQuote - closedEntry : closedEntry - closedQuote;
    pos.entryQuote -= closedEntry;
    pos.size += isBuy ? closing : -closing;
    if (qty > closing) {
      pos.size = isBuy ? qty - closing : -(qty - closing);
      pos.entryQuote = quoteMicro(spec, qty - closing, price);
    }
    if (pos.size === 0) pos.entryQuote = 0;
  }
  pos.realizedPnl += realized;
  acct.collateral += realized - fee;
  acct.volume += quote;
  return {
    sizeBefore: before.size,
    entryQuoteBefore: before.entryQuote,
    imfBpBefore: before.imf,
    signChanged: before.size !== 0 && pos.size !== 0 && Math.sign(before.size) !== Math.sign(pos.size),
    realized,
    longDelta: Math.max(0, pos.size) - Math.max(0, before.size),
  };
}

/** Resolves market specs and mark prices (ticks) by market id. */
export interface MarkSource {
  spec(marketId: number): MarketSpec;
  mark(marketId: number): number;
}

/** The §E.2 inputs of an account's open positions, in the order of `positions`. */
export function marginPositions(acct: SimAccount, marks: MarkSource): { ids: number[]; positions: MarginPosition[] } {
  const ids: number[] = [];
  const positions: MarginPosition[] = [];
  for (const pos of acct.positions.values()) {
    if (pos.size === 0) continue;
    const spec = marks.spec(pos.marketId);
    ids.push(pos.marketId);
    positions.push({
      sign: pos.size > 0 ? 1 : -1,
      size: BigInt(Math.abs(pos.size)),
      sizeDecimals: spec.sizeDecimals,
      entryQuote: BigInt(pos.entryQuote),
      mark: BigInt(marks.mark(pos.marketId)),
      priceDecimals: spec.priceDecimals,
      imfBp: pos.imfBp,
      mmfBp: spec.mmfBp,
      closeoutBp: spec.closeoutBp,
    });
  }
  return { ids, positions };
}

/** Exact §E.2 margin figures of an account at the current marks. */
export function exactMargin(acct: SimAccount, marks: MarkSource): AccountMargin {
  return accountMargin(BigInt(acct.collateral), marginPositions(acct, marks).positions);
}

/** Float margin figures in USD, for agent decisions and cheap screening (never for accounting). */
export interface ApproxMargin {
  tav: number;
  imr: number;
  mmr: number;
  /** Σ position values. */
  gross: number;
}

/** Approximate margin of an account (USD floats). */
export function approxMargin(acct: SimAccount, marks: MarkSource): ApproxMargin {
  let tav = acct.collateral / 1e6;
  let imr = 0;
  let mmr = 0;
  let gross = 0;
  for (const pos of acct.positions.values()) {
    if (pos.size === 0) continue;
    const spec = marks.spec(pos.marketId);
    const value = quoteMicro(spec, Math.abs(pos.size), marks.mark(pos.marketId)) / 1e6;
    tav += (pos.size > 0 ? value - pos.entryQuote / 1e6 : pos.entryQuote / 1e6 - value);
    imr += (value * pos.imfBp) / 10_000;
    mmr += (value * spec.mmfBp) / 10_000;
    gross += value;
  }
  return { tav, imr, mmr, gross };
}

/** All accounts, by index and by L1 address. */
export class AccountRegistry {
  readonly list: SimAccount[] = [];
  readonly traders: SimAccount[] = [];
  readonly makers: SimAccount[] = [];
  private readonly byIndex = new Map<number, SimAccount>();
  private readonly byL1 = new Map<string, SimAccount[]>();

  add(acct: SimAccount): void {
    this.list.push(acct);
    this.byIndex.set(acct.index, acct);
    const key = acct.l1Address.toLowerCase();
    const owned = this.byL1.get(key) ?? [];
    owned.push(acct);
    this.byL1.set(key, owned);
    if (acct.role === "trader") this.traders.push(acct);
    if (acct.role === "maker") this.makers.push(acct);
  }

  get(index: number): SimAccount | undefined {
    return this.byIndex.get(index);
  }

  /** The master account first, then sub-accounts by index. */
  byAddress(l1Address: string): SimAccount[] {
    const owned = this.byL1.get(l1Address.toLowerCase()) ?? [];
    return [...owned].sort((a, b) => a.accountType - b.accountType || a.index - b.index);
  }

  get insuranceFund(): SimAccount {
    return this.byIndex.get(INSURANCE_FUND_INDEX) as SimAccount;
  }
}
