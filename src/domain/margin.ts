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

/** A MarginPosition held as safe integers (what account trackers keep). */
export interface NumericMarginPosition {
  sign: 1 | -1;
  /** Unsigned size, size ticks. */
  size: number;
  sizeDecimals: number;
  /** USDC micro-units. */
  entryQuote: number;
  /** Price ticks. */
  mark: number;
  priceDecimals: number;
  imfBp: number;
  mmfBp: number;
  closeoutBp: number;
}

/** Account figures, stage and every position's value, PnL and cross liquidation price; micro-units. */
export interface CrossMargin {
  totalAssetValue: number;
  initialMarginRequirement: number;
  maintenanceMarginRequirement: number;
  closeOutMarginRequirement: number;
  availableBalance: number;
  health: MarginHealth;
  /** Per position: `ratioToNumber(crossLiquidationPrice(collateral, positions, k))`, or null. */
  liquidationPrices: (number | null)[];
  values: number[];
  unrealized: number[];
}

const POW10 = Array.from({ length: 19 }, (_, i) => 10n ** BigInt(i));

/**
 * `accountMargin`, `marginHealth`, `positionValue`, `unrealizedPnl` and
 * `ratioToNumber(crossLiquidationPrice(…))` for every position at once, with the same results:
 * each position's value is computed once and the others' maintenance requirement is the total less
 * its own, so n positions cost O(n), not O(n²). The integer arithmetic runs on floats while every
 * intermediate is a safe integer (the common case, and exact there), on bigints otherwise; results
 * past 2^53 micro-units (9 billion USDC) come back rounded to the nearest float.
 */
export function crossMargin(collateral: number, positions: readonly NumericMarginPosition[], memo?: LiquidationMemo): CrossMargin {
  return crossMarginSafe(collateral, positions, memo) ?? crossMarginBig(collateral, positions);
}

/**
 * Liquidation prices computed before, per position index, by their exact numerator and
 * denominator. A position's liquidation price depends on the collateral and on the *other*
 * positions' marks, not its own (its own mark cancels out of §E.2): when only its market's mark
 * moved, num and den are unchanged and the price — a bigint division — is reused.
 */
export type LiquidationMemo = { num: number; den: number; sizeDecimals: number; price: number | null }[];

const safe = Number.isSafeInteger;
/** n / d rounded half away from zero, for safe integers n and d > 0. */
function divRoundNum(n: number, d: number): number {
  const a = Math.abs(n);
  let q = Math.floor(a / d);
  const r = a - q * d;
  if (r < 0) q--;
  else if (r >= d) q++;
  if (2 * (a - q * d) >= d) q++;
  return n < 0 ? -q : q;
}

function figures(tav: number, imr: number, mmr: number, co: number): Pick<CrossMargin, "totalAssetValue" | "initialMarginRequirement" | "maintenanceMarginRequirement" | "closeOutMarginRequirement" | "availableBalance" | "health"> {
  const health: MarginHealth = tav >= imr ? "healthy" : tav >= mmr ? "pre_liquidation" : tav >= co ? "partial_liquidation" : "full_liquidation";
  return { totalAssetValue: tav, initialMarginRequirement: imr, maintenanceMarginRequirement: mmr, closeOutMarginRequirement: co, availableBalance: tav - imr, health };
}

function crossMarginSafe(c: number, positions: readonly NumericMarginPosition[], memo?: LiquidationMemo): CrossMargin | null {
  if (!safe(c)) return null;
  const n = positions.length;
  const values: number[] = new Array(n);
  const unrealized: number[] = new Array(n);
  let upnl = 0;
  let imNum = 0;
  let mmNum = 0;
  let coNum = 0;
  for (let i = 0; i < n; i++) {
    const p = positions[i] as NumericMarginPosition;
    const shift = USDC_DECIMALS - p.sizeDecimals - p.priceDecimals;
    const value = p.size * p.mark * 10 ** Math.max(0, shift);
    if (shift < 0 || !safe(value) || !safe(p.entryQuote)) return null;
    const u = p.sign * (value - p.entryQuote);
    values[i] = value;
    unrealized[i] = u;
    upnl += u;
    // Signed sums can cancel: every partial sum must be exact, not just the last.
    if (!safe(u) || !safe(upnl)) return null;
    imNum += value * p.imfBp;
    mmNum += value * p.mmfBp;
    coNum += value * p.closeoutBp;
  }
  const tav = c + upnl;
  // Non-negative sums only grow: their last value bounds every partial one.
  if (!safe(tav) || !safe(imNum) || !safe(mmNum) || !safe(coNum)) return null;
  const liquidationPrices: (number | null)[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const t = positions[k] as NumericMarginPosition;
    const value = values[k] as number;
    const cushion = (tav - t.sign * value) * 10_000;
    const mmOthers = mmNum - value * t.mmfBp;
    let num = cushion - mmOthers;
    let den = t.size * (t.mmfBp - t.sign * 10_000);
    if (!safe(tav - t.sign * value) || !safe(cushion) || !safe(value * t.mmfBp) || !safe(num) || !safe(den)) return null;
    if (den < 0) (num = -num), (den = -den);
    const known = memo?.[k];
    if (known && known.num === num && known.den === den && known.sizeDecimals === t.sizeDecimals) {
      liquidationPrices[k] = known.price;
      continue;
    }
    const price = num <= 0 || den === 0 ? null : ratioToNumber({ num: BigInt(num) * (POW10[t.sizeDecimals] as bigint), den: BigInt(den) * USDC_SCALE });
    liquidationPrices[k] = price;
    if (memo) memo[k] = { num, den, sizeDecimals: t.sizeDecimals, price };
  }
  const imr = divRoundNum(imNum, 10_000);
  if (!safe(tav - imr)) return null;
  // Spelled out rather than spread: this runs for every account whenever marks move.
  const mmr = divRoundNum(mmNum, 10_000);
  const co = divRoundNum(coNum, 10_000);
  const health: MarginHealth = tav >= imr ? "healthy" : tav >= mmr ? "pre_liquidation" : tav >= co ? "partial_liquidation" : "full_liquidation";
  return {
    totalAssetValue: tav, initialMarginRequirement: imr, maintenanceMarginRequirement: mmr, closeOutMarginRequirement: co, availableBalance: tav - imr,
    health, liquidationPrices, values, unrealized,
  };
}

function crossMarginBig(collateral: number, positions: readonly NumericMarginPosition[]): CrossMargin {
  const big: MarginPosition[] = positions.map((p) => ({ ...p, size: BigInt(p.size), entryQuote: BigInt(p.entryQuote), mark: BigInt(p.mark) }));
  const c = BigInt(collateral);
  const m = accountMargin(c, big);
  return {
    ...figures(Number(m.totalAssetValue), Number(m.initialMarginRequirement), Number(m.maintenanceMarginRequirement), Number(m.closeOutMarginRequirement)),
    availableBalance: Number(m.availableBalance),
    health: marginHealth(m),
    liquidationPrices: big.map((_, k) => {
      const r = crossLiquidationPrice(c, big, k);
      return r ? ratioToNumber(r) : null;
    }),
    values: big.map((p) => Number(positionValue(p))),
    unrealized: big.map((p) => Number(unrealizedPnl(p))),
  };
}

const FRACTION_SCALE = 10n ** 15n;

/** A price ratio as a float (what the venue prints in `liquidation_price`, e.g. "2191.1107231380406"). */
export function ratioToNumber(r: PriceRatio): number {
  const whole = r.num / r.den;
  const frac = ((r.num % r.den) * FRACTION_SCALE) / r.den;
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
