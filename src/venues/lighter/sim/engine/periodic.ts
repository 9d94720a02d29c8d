/**
 * The engine's clockwork on the virtual timeline: L2 blocks, the one-second stats tick (index and
 * mark prices, open interest), the liquidation sweep, the rate controller, the per-minute funding
 * premium samples and the hourly funding settlement (reference §D.4).
 */
import type { SimAccount } from "./accounts.ts";
import type { Exchange } from "./exchange.ts";
import {
  formatRate4,
  fundingPaymentMicro,
  hourlyFundingRatePct,
  premiumSamplePct,
  truncateRate4,
} from "./funding.ts";
import { sweepLiquidations } from "./liquidator.ts";
import { BLOCK_MS, heightAt, type MarketState } from "./market-state.ts";
import { quoteMicro } from "./markets.ts";
import { median3 } from "./price.ts";

/** Timers of the engine besides the per-market processes. */
export type TimerKind = "block" | "stats" | "liquidations" | "control" | "settle";

/** Impact notional for the premium samples, USD. */
const IMPACT_NOTIONAL_USD = 5_000;
const HOUR_MS = 3_600_000;

/** Runs one timer (or, with `market`, that market's funding sample) and schedules its next run. */
export function runTimer(ex: Exchange, kind: TimerKind | "sample", market?: MarketState): void {
  switch (kind) {
    case "sample":
      if (market) sampleFunding(ex, market);
      return;
    case "block":
      ex.emit({ type: "height", height: heightAt(ex.now), time: ex.now });
      ex.timers.block = ex.now + BLOCK_MS;
      return;
    case "stats":
      statsTick(ex);
      ex.timers.stats = ex.now + 1_000;
      return;
    case "liquidations":
      sweepLiquidations(ex);
      ex.timers.liquidations = ex.now + 1_000;
      return;
    case "control":
      controlRate(ex);
      ex.timers.control = ex.now + 1_000;
      return;
    case "settle":
      for (const m of ex.markets) settleFunding(ex, m);
      ex.timers.settle = ex.now + HOUR_MS;
      return;
  }
}

/** Index = fair price through a little oracle noise; mark = median(index, best bid, best ask). */
export function refreshPrices(ex: Exchange, m: MarketState): void {
  m.fair.advance(ex.now, ex.rng);
  const scale = 10 ** m.spec.priceDecimals;
  m.index = Math.max(1, Math.round(m.fair.value * (1 + 0.00005 * ex.rng.normal()) * scale));
  const bid = m.book.bestBid() ?? m.index;
  const ask = m.book.bestAsk() ?? m.index;
  m.mark = Math.max(1, Math.round(median3(m.index, bid, ask)));
}

/** Basis: an Ornstein–Uhlenbeck process, mean 1 bp, stationary sd about 6 bp, half-life about 2 h. */
const BASIS_TAU_S = 3 * 3_600;
const BASIS_SIGMA = 6e-4 / Math.sqrt(BASIS_TAU_S / 2);
const BASIS_MEAN = 1e-4;

function statsTick(ex: Exchange): void {
  for (const m of ex.markets) {
    m.basis += (BASIS_MEAN - m.basis) / BASIS_TAU_S + BASIS_SIGMA * ex.rng.normal();
    refreshPrices(ex, m);
    ex.metrics.openInterest(m.spec.id, ex.now, quoteMicro(m.spec, m.openInterest, m.mark) / 1e6);
  }
  ex.emit({ type: "stats", time: ex.now });
}

/** Nudges the activity multiplier so the emitted events per second track the target rate. */
function controlRate(ex: Exchange): void {
  const observed = ex.eventsInWindow;
  ex.eventsInWindow = 0;
  if (ex.rate <= 0) return;
  ex.eventsAverage = ex.eventsAverage < 0 ? observed : 0.7 * ex.eventsAverage + 0.3 * observed;
  const ratio = ex.rate / Math.max(1, ex.eventsAverage);
  ex.activity = Math.min(8, Math.max(0.1, ex.activity * Math.min(1.25, Math.max(0.8, Math.pow(ratio, 0.35)))));
}

function sampleFunding(ex: Exchange, m: MarketState): void {
  refreshPrices(ex, m);
  const notionalTicks = (IMPACT_NOTIONAL_USD * 10 ** (m.spec.priceDecimals + m.spec.sizeDecimals));
  // A taker buying the impact notional pays impactAsk; one selling it receives impactBid.
  const impactAsk = m.book.impactPrice(false, notionalTicks);
  const impactBid = m.book.impactPrice(true, notionalTicks);
  m.premium.add(premiumSamplePct(impactBid, impactAsk, m.index));
}

/** The live estimate of the next settlement, 0.0001 % units (market_stats.current_funding_rate). */
export function currentRate4(m: MarketState): number {
  return truncateRate4(hourlyFundingRatePct(m.premium.mean));
}

/** Hourly settlement: computes the rate, pays every position peer to peer, records it all. */
function settleFunding(ex: Exchange, m: MarketState): void {
  refreshPrices(ex, m);
  const rate4 = currentRate4(m);
  m.premium.reset();
  m.fundingRate4 = rate4;
  m.fundingTime = ex.now + 1;
  const fundingId = ex.ids.nextFunding();
  let paid = 0;
  for (const acct of ex.accounts.list) {
    const pos = acct.positions.get(m.spec.id);
    if (!pos || pos.size === 0) continue;
    const change = fundingPaymentMicro(pos.size, m.spec.sizeDecimals, m.index, m.spec.priceDecimals, rate4);
    applyFunding(acct, change);
    pos.fundingPaid -= change;
    ex.ledger.recordPositionFunding(acct.index, { time: ex.now, marketId: m.spec.id, fundingId, change, rate4, size: pos.size });
    ex.touch(acct.index);
    paid++;
  }
  ex.ledger.recordFunding({ time: ex.now, marketId: m.spec.id, rate4, indexPrice: m.index });
  ex.emit({ type: "funding", marketId: m.spec.id, time: ex.now, rate4, indexPrice: m.index, accounts: paid });
  ex.finishAction(m);
}

function applyFunding(acct: SimAccount, change: number): void {
  acct.collateral += change;
}

/** The signed rate string of a market's last settlement ("-0.0005"). */
export const settledRate = (m: MarketState): string => formatRate4(m.fundingRate4);
