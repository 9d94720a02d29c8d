/**
 * USD notional in venue units, and the per-market thresholds that flag whales and trigger alerts.
 * A notional is price × size as an exact integer at `pd + sd` decimals (quote is USD on Lighter
 * perps); thresholds are whole USD scaled to the same units, so comparisons never go through a
 * binary float of a price.
 */
import { formatScaled } from "../../lib/decimal";

/** Operator-configured thresholds, in whole USD. */
export interface StreamThresholds {
  /** Whale flag and large-trade / large-order alerts: default for every market. */
  whaleUsd: number;
  /** Per-market overrides of `whaleUsd`. */
  whaleUsdByMarket: Readonly<Record<number, number>>;
  /** Liquidation alerts. */
  liquidationAlertUsd: number;
}

/** Thresholds of one market in its notional units. */
export interface MarketThresholds {
  whale: bigint;
  whaleText: string;
  liquidation: bigint;
  liquidationText: string;
}

/** price × size, exact, in units of 10^-(pd+sd) USD. */
export const notional = (price: number, size: number): bigint => BigInt(price) * BigInt(size);

/** A notional as a decimal string with `pd + sd` decimals. */
export const formatNotionalValue = (value: bigint, pd: number, sd: number): string => formatScaled(value, pd + sd);

/** The thresholds of market `m` at its decimals. */
export function marketThresholds(t: StreamThresholds, m: number, pd: number, sd: number): MarketThresholds {
  const scale = 10n ** BigInt(pd + sd);
  const whaleUsd = t.whaleUsdByMarket[m] ?? t.whaleUsd;
  return {
    whale: BigInt(whaleUsd) * scale,
    whaleText: String(whaleUsd),
    liquidation: BigInt(t.liquidationAlertUsd) * scale,
    liquidationText: String(t.liquidationAlertUsd),
  };
}
