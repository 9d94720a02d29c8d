/**
 * Liquidations (reference §D.5). Once a second every trader with positions is screened (floats),
 * and candidates are checked exactly (`domain/margin`). An account whose value is below its
 * maintenance requirement has its open orders cancelled, then its positions closed one by one,
 * largest first, by IOC orders at the §D.5 zero price — real fills against the book, reported as
 * `liquidation` trades — until it is back above MMR. An account still below its close-out
 * requirement is taken over by the insurance fund (`deleverage` trades at the mark).
 */
import { ratioToTicks, zeroPrice, type AccountMargin } from "../../../../domain/margin.ts";
import { approxMargin, exactMargin, marginPositions, type SimAccount } from "./accounts.ts";
import type { SimTrade } from "./events.ts";
import type { Exchange } from "./exchange.ts";
import type { PositionSnapshot } from "./ledger.ts";
import type { MarketState } from "./market-state.ts";
import { quoteMicro } from "./markets.ts";

/** Share of a liquidation fill's notional that may go to the insurance fund (1%). */
const MAX_LIQUIDATION_FEE = 0.01;

/** Screens every trader and liquidates those below maintenance margin. */
export function sweepLiquidations(ex: Exchange): void {
  for (const acct of ex.accounts.traders) {
    if (acct.positions.size === 0 || acct.nextRiskCheck > ex.now) continue;
    const approx = approxMargin(acct, ex);
    if (approx.mmr === 0) {
      acct.nextRiskCheck = ex.now + 30_000;
      continue;
    }
    if (approx.tav > approx.mmr * 1.02) {
      // The adverse move (fraction of gross notional) it would take to reach MMR sets the next look.
      const cushion = (approx.tav - approx.mmr) / approx.gross;
      acct.nextRiskCheck = ex.now + (cushion > 0.1 ? 30_000 : cushion > 0.05 ? 10_000 : cushion > 0.025 ? 3_000 : 0);
      continue;
    }
    const exact = exactMargin(acct, ex);
    if (exact.totalAssetValue >= exact.maintenanceMarginRequirement) continue;
    liquidate(ex, acct);
  }
}

/** Makes every account due for screening at the next sweep (after a price shock). */
export function screenAllSoon(ex: Exchange): void {
  for (const acct of ex.accounts.traders) acct.nextRiskCheck = 0;
}

/** Liquidates one account now (exported for tests that force a scenario). */
export function liquidate(ex: Exchange, acct: SimAccount): void {
  cancelAllOrders(ex, acct);
  const order = [...acct.positions.values()]
    .filter((p) => p.size !== 0)
    .sort((a, b) => quoteMicro(ex.spec(b.marketId), Math.abs(b.size), ex.mark(b.marketId)) - quoteMicro(ex.spec(a.marketId), Math.abs(a.size), ex.mark(a.marketId)));
  for (const pos of order) {
    const m = ex.market(pos.marketId) as MarketState;
    const before = exactMargin(acct, ex);
    const collateralBefore = acct.collateral;
    const { ids, positions } = marginPositions(acct, ex);
    const zp = zeroPrice(BigInt(acct.collateral), positions, ids.indexOf(pos.marketId));
    const isAsk = pos.size > 0;
    let limit: number | undefined;
    if (zp) {
      const ticks = Number(ratioToTicks(zp, m.spec.priceDecimals));
      limit = isAsk ? Math.max(1, ticks) : ticks;
    }
    const trades = ex.take(acct, m, isAsk, Math.abs(pos.size), limit, "liquidation");
    if (trades.length > 0) {
      chargeFee(ex, acct, trades, limit);
      record(ex, acct, m, "partial", trades, before, collateralBefore);
    }
    ex.finishAction(m);
    const after = exactMargin(acct, ex);
    if (after.totalAssetValue >= after.maintenanceMarginRequirement) return;
  }
  const after = exactMargin(acct, ex);
  if (after.totalAssetValue < after.closeOutMarginRequirement) takeOver(ex, acct);
}

function cancelAllOrders(ex: Exchange, acct: SimAccount): void {
  for (const id of [...acct.orders]) {
    for (const m of ex.markets) {
      const order = m.book.orders.get(id);
      if (order) {
        ex.cancel(m, order);
        ex.finishAction(m);
        break;
      }
    }
  }
}

/** Price improvement beyond the zero price goes to the insurance fund, up to 1% of notional. */
function chargeFee(ex: Exchange, acct: SimAccount, trades: SimTrade[], limit: number | undefined): void {
  if (limit === undefined) return;
  let fee = 0;
  for (const t of trades) {
    const spec = ex.spec(t.marketId);
    const improvement = Math.abs(quoteMicro(spec, t.size, t.price) - quoteMicro(spec, t.size, limit));
    fee += Math.min(improvement, t.quote * MAX_LIQUIDATION_FEE);
  }
  fee = Math.round(fee);
  if (fee <= 0) return;
  acct.collateral -= fee;
  ex.accounts.insuranceFund.collateral += fee;
  ex.metrics.liquidationFee((trades[0] as SimTrade).marketId, ex.now, fee / 1e6);
}

/** The insurance fund takes every remaining position at the mark, and the remaining collateral. */
function takeOver(ex: Exchange, acct: SimAccount): void {
  const fund = ex.accounts.insuranceFund;
  for (const pos of [...acct.positions.values()]) {
    if (pos.size === 0) continue;
    const m = ex.market(pos.marketId) as MarketState;
    const before = exactMargin(acct, ex);
    const collateralBefore = acct.collateral;
    const trade = ex.settleAgainst(acct, fund, m, pos.size > 0, Math.abs(pos.size), m.mark, "deleverage");
    record(ex, acct, m, "deleverage", [trade], before, collateralBefore);
    ex.finishAction(m);
  }
  fund.collateral += acct.collateral;
  acct.collateral = 0;
  ex.touch(fund.index);
  ex.touch(acct.index);
}

function snapshot(ex: Exchange, acct: SimAccount): PositionSnapshot[] {
  return [...acct.positions.values()]
    .filter((p) => p.size !== 0)
    .map((p) => ({ marketId: p.marketId, size: p.size, entryQuote: p.entryQuote, imfBp: p.imfBp, realizedPnl: p.realizedPnl, fundingPaid: p.fundingPaid, mark: ex.mark(p.marketId) }));
}

function record(ex: Exchange, acct: SimAccount, m: MarketState, kind: "partial" | "deleverage", trades: SimTrade[], before: AccountMargin, collateralBefore: number): void {
  const size = trades.reduce((a, t) => a + t.size, 0);
  const quote = trades.reduce((a, t) => a + t.price * t.size, 0);
  const price = Math.round(quote / size);
  const marks: Record<string, number> = {};
  for (const x of ex.markets) marks[String(x.spec.id)] = x.mark;
  const id = ex.ids.nextLiquidation();
  ex.ledger.recordLiquidation({
    id, account: acct.index, marketId: m.spec.id, kind, price, size, time: ex.now,
    transactionTime: (trades[0] as SimTrade).transactionTime, riskBefore: before, riskAfter: exactMargin(acct, ex),
    collateralBefore, collateralAfter: acct.collateral, positionsAfter: snapshot(ex, acct), marks,
  });
  ex.emit({ type: "liquidation", liquidationId: id, account: acct.index, marketId: m.spec.id, kind, time: ex.now, size, price });
}
