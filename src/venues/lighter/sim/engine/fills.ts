/**
 * Booking one fill: both accounts' positions and collateral, open interest, the tapes, candles,
 * metrics and PnL history — everything a trade touches, in one place.
 */
import { applyFill, type SimAccount } from "./accounts.ts";
import type { RestingOrder } from "./book.ts";
import type { SimTrade, SimTradeType } from "./events.ts";
import type { Exchange } from "./exchange.ts";
import type { MarketState } from "./market-state.ts";
import { quoteMicro } from "./markets.ts";

/** Realised trading PnL of an account across its positions, micro-units. */
function realizedTotal(acct: SimAccount): number {
  let total = 0;
  for (const p of acct.positions.values()) total += p.realizedPnl;
  return total;
}

/** What identifies the taker's side of a fill. */
export interface TakerOrder {
  orderIndex: number;
  txTime: number;
  txHash: string;
}

/** Books one fill between a taker and a maker (a resting order, or none for a take-over). */
export function bookFill(
  ex: Exchange, m: MarketState, taker: SimAccount, maker: SimAccount, takerIsAsk: boolean, size: number, price: number,
  type: SimTradeType, order: TakerOrder, makerOrder: RestingOrder | undefined,
): SimTrade {
  const spec = m.spec;
  const quote = quoteMicro(spec, size, price);
  const takerRate = type === "trade" ? taker.takerFee : 0;
  const makerRate = type === "trade" ? maker.makerFee : 0;
  const takerFee = Math.round((quote * takerRate) / 1e6);
  const makerFee = Math.round((quote * makerRate) / 1e6);
  const t = applyFill(taker, spec, !takerIsAsk, size, price, takerFee);
  const k = applyFill(maker, spec, takerIsAsk, size, price, makerFee);
  if (makerOrder) makerOrder.filledQuote += quote;
  m.openInterest += t.longDelta + k.longDelta;
  m.lastTrade = price;
  const trade: SimTrade = {
    tradeId: ex.ids.nextTrade(), marketId: spec.id, type, size, price, quote, isMakerAsk: !takerIsAsk,
    taker: { account: taker.index, orderIndex: order.orderIndex, clientOrderIndex: taker.orderCount, sizeBefore: t.sizeBefore,
      entryQuoteBefore: t.entryQuoteBefore, imfBpBefore: t.imfBpBefore, signChanged: t.signChanged, realizedPnl: t.realized, feeRate: takerRate },
    maker: { account: maker.index, orderIndex: makerOrder?.orderIndex ?? ex.ids.order(!takerIsAsk),
      clientOrderIndex: makerOrder?.clientOrderIndex ?? 0, sizeBefore: k.sizeBefore, entryQuoteBefore: k.entryQuoteBefore,
      imfBpBefore: k.imfBpBefore, signChanged: k.signChanged, realizedPnl: k.realized, feeRate: makerRate },
    blockHeight: ex.height, timestamp: ex.now, transactionTime: order.txTime, txHash: order.txHash,
  };
  ex.ledger.recordTrade(trade);
  m.bars.add(ex.now, price, size, quote, trade.tradeId);
  ex.metrics.trade(spec.id, ex.now, quote / 1e6, makerFee / 1e6, takerFee / 1e6, type !== "trade", taker.index, maker.index);
  for (const a of [taker, maker]) {
    a.nextRiskCheck = 0;
    ex.ledger.recordPnl(a.index, ex.now, realizedTotal(a), a.volume);
    ex.touch(a.index);
  }
  ex.queueTrade(trade);
  return trade;
}
