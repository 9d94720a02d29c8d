/**
 * Lighter funding (reference §D.4), all quantities in percent:
 * 1. each minute `premium = (max(0, impactBid − index) − max(0, index − impactAsk)) / index`;
 * 2. P = the mean of the samples since the last settlement (reset every hour);
 * 3. P × multiplier (1 for crypto);
 * 4. smallClamped = P + clamp(InterestRate − P, −SmallClamp, +SmallClamp);
 * 5. rate = clamp(smallClamped, −BigClamp, +BigClamp) / 8, reported truncated toward zero at 4 dp;
 * 6. payment_i = −sign_i × size_i × index × rate / 100 (a positive rate: longs pay shorts).
 */

/** Funding parameters of a market (percent strings on the wire: "0.0100", "0.0500", "4.0000"). */
export interface FundingParams {
  /** Percent. */
  interestRatePct: number;
  smallClampPct: number;
  bigClampPct: number;
  /** 1 for crypto (the API reports `funding_premium_multiplier: 100`). */
  premiumMultiplier: number;
}

/** The live venue's parameters. */
export const LIGHTER_FUNDING: FundingParams = { interestRatePct: 0.01, smallClampPct: 0.05, bigClampPct: 4, premiumMultiplier: 1 };

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** One premium sample, in **percent**. Missing impact prices count as no premium on that side. */
export function premiumSamplePct(impactBid: number | undefined, impactAsk: number | undefined, index: number): number {
  if (index <= 0) return 0;
  const up = impactBid === undefined ? 0 : Math.max(0, impactBid - index);
  const down = impactAsk === undefined ? 0 : Math.max(0, index - impactAsk);
  return ((up - down) / index) * 100;
}

/** The exact hourly rate in percent for an average premium `premiumPct` (steps 3–5, untruncated). */
export function hourlyFundingRatePct(premiumPct: number, params: FundingParams = LIGHTER_FUNDING): number {
  const p = premiumPct * params.premiumMultiplier;
  const smallClamped = p + clamp(params.interestRatePct - p, -params.smallClampPct, params.smallClampPct);
  return clamp(smallClamped, -params.bigClampPct, params.bigClampPct) / 8;
}

/**
 * The rate as reported: truncated toward zero to 4 decimals, as an integer of 0.0001 % units
 * (12 → "0.0012"). The epsilon absorbs binary-float noise such as 0.0012499999.
 */
export function truncateRate4(ratePct: number): number {
  const scaled = ratePct * 10_000;
  return Math.trunc(scaled + (scaled >= 0 ? 1e-7 : -1e-7));
}

/** Formats a rate in 0.0001 % units as the venue's percent string ("-0.0005"). */
export function formatRate4(rate4: number): string {
  const abs = Math.abs(rate4);
  return (rate4 < 0 ? "-" : "") + Math.floor(abs / 10_000) + "." + String(abs % 10_000).padStart(4, "0");
}

/**
 * The settlement payment of one position in USDC micro-units (positive = received):
 * `−sign × size × index × rate / 100`, rounded half away from zero.
 * `sizeTicks` is signed; `rate4` in 0.0001 % units.
 */
export function fundingPaymentMicro(sizeTicks: number, sizeDecimals: number, indexTicks: number, priceDecimals: number, rate4: number): number {
  // size × index × rate4 / 10^(sd + pd) / 10^4 (to percent) / 100 (to fraction) × 10^6 (micro).
  const num = -BigInt(sizeTicks) * BigInt(indexTicks) * BigInt(rate4);
  const den = 10n ** BigInt(sizeDecimals + priceDecimals);
  const q = num / den;
  const r = num % den;
  const twice = (r < 0n ? -r : r) * 2n;
  const rounded = twice >= den ? q + (num < 0n ? -1n : 1n) : q;
  return Number(rounded);
}

/** Time-weighted running mean of the premium samples since the last settlement. */
export class PremiumAccumulator {
  private sum = 0;
  private count = 0;

  add(samplePct: number): void {
    this.sum += samplePct;
    this.count++;
  }

  /** P in percent (0 before the first sample of the hour). */
  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  reset(): void {
    this.sum = 0;
    this.count = 0;
  }
}
