/**
 * Cross-margin arithmetic of a perp venue (Lighter reference §D.5 and §E.2), as pure functions over
 * fixed-point integers:
 *
 * - sizes are integers in size ticks (`size × 10^sizeDecimals`),
 * - prices are integers in price ticks (`price × 10^priceDecimals`),
 * - money is USDC in micro-units (`usdc × 10^6`),
 * - margin fractions are basis points of notional (500 = 5% = 20×).
 *
 * Sums are formed on exact numerators and rounded once (half away from zero), so an account's
 * requirement is not the sum of separately rounded per-position requirements.
 */
import { divRound, formatScaled } from "../lib/decimal.ts";

/** USDC carries 6 decimals on the wire and inside. */
export const USDC_DECIMALS = 6;
const USDC_SCALE = 10n ** BigInt(USDC_DECIMALS);
const BP = 10_000n;

/** One cross-margin position valued at a mark price. */
export interface MarginPosition {
  /** 1 long, −1 short. */
  sign: 1 | -1;
  /** Unsigned size in size ticks. */
  size: bigint;
  sizeDecimals: number;
  /** Entry quote (size × average entry) in USDC micro-units, unsigned. */
  entryQuote: bigint;
  /** Mark price in price ticks. */
  mark: bigint;
  priceDecimals: number;
  /** The account's chosen initial margin fraction for this market, bp (its leverage setting). */
  imfBp: number;
  /** The market's maintenance margin fraction, bp. */
  mmfBp: number;
  /** The market's close-out margin fraction, bp. */
  closeoutBp: number;
}

/** Margin state of a cross account; every amount in USDC micro-units. */
export interface AccountMargin {
  /** collateral + Σ unrealized PnL (= cross_asset_value when everything is cross). */
  totalAssetValue: bigint;
  initialMarginRequirement: bigint;
  maintenanceMarginRequirement: bigint;
  closeOutMarginRequirement: bigint;
  /** totalAssetValue − initialMarginRequirement (may be negative). */
  availableBalance: bigint;
}

/** Healthy ≥ IMR > pre-liquidation ≥ MMR > partial liquidation ≥ close-out > full take-over. */
export type MarginHealth = "healthy" | "pre_liquidation" | "partial_liquidation" | "full_liquidation";

/**
 * Notional of `size` at `price` in USDC micro-units, rounded half away from zero. Exact whenever
 * `sizeDecimals + priceDecimals ≤ 6`, which holds for every Lighter perp.
 */
export function notional(size: bigint, sizeDecimals: number, price: bigint, priceDecimals: number): bigint {
  const shift = USDC_DECIMALS - sizeDecimals - priceDecimals;
  const raw = size * price;
  return shift >= 0 ? raw * 10n ** BigInt(shift) : divRound(raw, 10n ** BigInt(-shift));
}

/** `position_value`: size × mark, unsigned, USDC micro-units. */
export function positionValue(p: MarginPosition): bigint {
  return notional(p.size, p.sizeDecimals, p.mark, p.priceDecimals);
}

/** `unrealized_pnl`: sign × (size × mark − entry quote), USDC micro-units. */
export function unrealizedPnl(p: MarginPosition): bigint {
  return BigInt(p.sign) * (positionValue(p) - p.entryQuote);
}

/** Initial margin of one position at the account's chosen fraction, USDC micro-units. */
export function initialMargin(p: MarginPosition): bigint {
  return divRound(positionValue(p) * BigInt(p.imfBp), BP);
}

/** Maintenance margin of one position at the market's fraction, USDC micro-units. */
export function maintenanceMargin(p: MarginPosition): bigint {
  return divRound(positionValue(p) * BigInt(p.mmfBp), BP);
}

/** Average entry price in price ticks (entry quote / size), rounded; 0 for an empty position. */
export function averageEntryPrice(p: Pick<MarginPosition, "size" | "sizeDecimals" | "entryQuote" | "priceDecimals">): bigint {
  if (p.size === 0n) return 0n;
  const shift = p.sizeDecimals + p.priceDecimals - USDC_DECIMALS;
  const num = shift >= 0 ? p.entryQuote * 10n ** BigInt(shift) : p.entryQuote;
  const den = shift >= 0 ? p.size : p.size * 10n ** BigInt(-shift);
  return divRound(num, den);
}

/** Account-level margin figures of §E.2 for an all-cross USDC account. */
export function accountMargin(collateral: bigint, positions: readonly MarginPosition[]): AccountMargin {
  let upnl = 0n;
  let imNum = 0n;
  let mmNum = 0n;
  let coNum = 0n;
  for (const p of positions) {
    const value = positionValue(p);
    upnl += BigInt(p.sign) * (value - p.entryQuote);
    imNum += value * BigInt(p.imfBp);
    mmNum += value * BigInt(p.mmfBp);
    coNum += value * BigInt(p.closeoutBp);
  }
  const totalAssetValue = collateral + upnl;
  const initialMarginRequirement = divRound(imNum, BP);
  return {
    totalAssetValue,
    initialMarginRequirement,
    maintenanceMarginRequirement: divRound(mmNum, BP),
    closeOutMarginRequirement: divRound(coNum, BP),
    availableBalance: totalAssetValue - initialMarginRequirement,
  };
}

/** Which §D.5 stage an account is in. */
export function marginHealth(m: AccountMargin): MarginHealth {
  if (m.totalAssetValue >= m.initialMarginRequirement) return "healthy";
  if (m.totalAssetValue >= m.maintenanceMarginRequirement) return "pre_liquidation";
  if (m.totalAssetValue >= m.closeOutMarginRequirement) return "partial_liquidation";
  return "full_liquidation";
}

/** A non-negative rational price in USD per base unit: `num / den`. */
export interface PriceRatio {
  num: bigint;
  den: bigint;
}

/**
 * Cross liquidation price of position `k` (§E.2): the p solving
 * `TAV + sign·size·(p − mark) = MMR_others + size·p·MMF`, all other positions held at their marks:
 * `p = (TAV − sign·size·mark − MMR_others) / (size·(MMF − sign))`.
 * Returns null when there is no positive solution (a well-collateralised long).
 */
export function crossLiquidationPrice(
  collateral: bigint,
  positions: readonly MarginPosition[],
  k: number,
): PriceRatio | null {
  const target = positions[k];
  if (!target || target.size === 0n) return null;
  let upnl = 0n;
  let mmOthersNum = 0n; // USDC micro × bp
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i] as MarginPosition;
    const value = positionValue(p);
    upnl += BigInt(p.sign) * (value - p.entryQuote);
    if (i !== k) mmOthersNum += value * BigInt(p.mmfBp);
  }
  const tav = collateral + upnl;
  const sign = BigInt(target.sign);
  // Numerator in USDC micro × bp; denominator in size ticks × bp. p[USD] = num·10^sd / (den·10^6).
  let num = (tav - sign * positionValue(target)) * BP - mmOthersNum;
  let den = target.size * (BigInt(target.mmfBp) - sign * BP);
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  if (num <= 0n) return null;
  return { num: num * 10n ** BigInt(target.sizeDecimals), den: den * USDC_SCALE };
}

/** A price ratio as a float (what the venue prints in `liquidation_price`, e.g. "2191.1107231380406"). */
export function ratioToNumber(r: PriceRatio): number {
  const SCALE = 10n ** 15n;
  const whole = r.num / r.den;
  const frac = ((r.num % r.den) * SCALE) / r.den;
  return Number(whole) + Number(frac) / 1e15;
}

/** A price ratio in price ticks, rounded half away from zero. */
export function ratioToTicks(r: PriceRatio, priceDecimals: number): bigint {
  return divRound(r.num * 10n ** BigInt(priceDecimals), r.den);
}

/**
 * The §D.5 "zero price" of closing part of position `k`: the fill price at which the ratio of account
 * value to MMR is unchanged, `mark · (1 − sign · MMF · TAV / MMR)`. A liquidation IOC sells a long
 * no lower (buys a short back no higher) than this. Null when the account has no MMR.
 */
export function zeroPrice(collateral: bigint, positions: readonly MarginPosition[], k: number): PriceRatio | null {
  const target = positions[k];
  if (!target) return null;
  const m = accountMargin(collateral, positions);
  if (m.maintenanceMarginRequirement <= 0n) return null;
  // p_ticks = mark · (MMR·BP − sign·MMF·TAV) / (MMR·BP), kept as a ratio in USD.
  const scale = 10n ** BigInt(target.priceDecimals);
  const num = target.mark * (m.maintenanceMarginRequirement * BP - BigInt(target.sign) * BigInt(target.mmfBp) * m.totalAssetValue);
  const den = m.maintenanceMarginRequirement * BP * scale;
  if (num <= 0n) return { num: 0n, den: 1n };
  return { num, den };
}

/** Formats USDC micro-units as the venue's 6-decimal string. */
export const formatUsdc = (micro: bigint | number): string => formatScaled(micro, USDC_DECIMALS);

/** The position IMF as the venue's percent string: 500 bp → "5.00", 3333 bp → "33.33". */
export const imfPercent = (imfBp: number): string => formatScaled(imfBp, 2);
