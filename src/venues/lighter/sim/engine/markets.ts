/**
 * The simulated perp markets: real Lighter ids, symbols, precisions, minimums and margin fractions
 * (reference §D.1, §D.2). Where §D.2 has no capture (DOGE, XRP, LINK, minimum sizes of the smaller
 * markets) the values follow the observed pattern: `price_decimals + size_decimals = 6`,
 * MMF = 0.6 × min IMF, close-out = 0.4 × min IMF.
 */

/** Static description of one simulated market. */
export interface MarketSpec {
  id: number;
  symbol: string;
  priceDecimals: number;
  sizeDecimals: number;
  /** Minimum order size, size ticks. */
  minBaseTicks: number;
  /** Minimum order notional, USDC micro-units. */
  minQuoteMicro: number;
  /** Margin fractions, basis points of notional. */
  defaultImfBp: number;
  minImfBp: number;
  mmfBp: number;
  closeoutBp: number;
  /** Starting fair price, USD. */
  startPrice: number;
  /** Annualised volatility of the fair price (0.7 = 70%). */
  annualVol: number;
  /** Expected price jumps per day and their log-size standard deviation. */
  jumpsPerDay: number;
  jumpSigma: number;
  /** Share of the exchange's activity. */
  weight: number;
  /** Typical taker notional, USD (the Pareto scale of taker sizes). */
  takerNotional: number;
  /** Market-maker ladder step, in basis points of price. */
  ladderStepBp: number;
  /** `created_at` of the market, ms. */
  createdAt: number;
}

const m = (s: Omit<MarketSpec, "createdAt">): MarketSpec => ({ ...s, createdAt: 1_717_000_000_000 + s.id * 86_400_000 });

/** The default simulated markets (ids from reference §D.1). */
export const DEFAULT_MARKETS: readonly MarketSpec[] = [
  m({ id: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, minBaseTicks: 50, minQuoteMicro: 10_000_000,
    defaultImfBp: 500, minImfBp: 200, mmfBp: 120, closeoutBp: 80, startPrice: 3012.45, annualVol: 0.7,
    jumpsPerDay: 3, jumpSigma: 0.006, weight: 0.24, takerNotional: 900, ladderStepBp: 0.8 }),
  m({ id: 1, symbol: "BTC", priceDecimals: 1, sizeDecimals: 5, minBaseTicks: 20, minQuoteMicro: 10_000_000,
    defaultImfBp: 500, minImfBp: 200, mmfBp: 120, closeoutBp: 80, startPrice: 94_850.5, annualVol: 0.5,
    jumpsPerDay: 2, jumpSigma: 0.005, weight: 0.26, takerNotional: 1500, ladderStepBp: 0.6 }),
  m({ id: 2, symbol: "SOL", priceDecimals: 3, sizeDecimals: 3, minBaseTicks: 50, minQuoteMicro: 10_000_000,
    defaultImfBp: 1000, minImfBp: 400, mmfBp: 240, closeoutBp: 160, startPrice: 181.234, annualVol: 0.9,
    jumpsPerDay: 3, jumpSigma: 0.008, weight: 0.14, takerNotional: 500, ladderStepBp: 1.2 }),
  m({ id: 3, symbol: "DOGE", priceDecimals: 6, sizeDecimals: 0, minBaseTicks: 10, minQuoteMicro: 10_000_000,
    defaultImfBp: 2000, minImfBp: 1000, mmfBp: 600, closeoutBp: 400, startPrice: 0.181234, annualVol: 1.0,
    jumpsPerDay: 4, jumpSigma: 0.01, weight: 0.07, takerNotional: 300, ladderStepBp: 2 }),
  m({ id: 4, symbol: "1000PEPE", priceDecimals: 6, sizeDecimals: 0, minBaseTicks: 500, minQuoteMicro: 10_000_000,
    defaultImfBp: 2000, minImfBp: 1000, mmfBp: 600, closeoutBp: 400, startPrice: 0.010512, annualVol: 1.2,
    jumpsPerDay: 5, jumpSigma: 0.012, weight: 0.06, takerNotional: 250, ladderStepBp: 3 }),
  m({ id: 7, symbol: "XRP", priceDecimals: 6, sizeDecimals: 0, minBaseTicks: 5, minQuoteMicro: 10_000_000,
    defaultImfBp: 2000, minImfBp: 1000, mmfBp: 600, closeoutBp: 400, startPrice: 2.304512, annualVol: 0.8,
    jumpsPerDay: 3, jumpSigma: 0.008, weight: 0.08, takerNotional: 400, ladderStepBp: 1.5 }),
  m({ id: 8, symbol: "LINK", priceDecimals: 5, sizeDecimals: 1, minBaseTicks: 10, minQuoteMicro: 10_000_000,
    defaultImfBp: 2000, minImfBp: 1000, mmfBp: 600, closeoutBp: 400, startPrice: 18.04321, annualVol: 0.9,
    jumpsPerDay: 3, jumpSigma: 0.009, weight: 0.07, takerNotional: 300, ladderStepBp: 2 }),
  m({ id: 16, symbol: "SUI", priceDecimals: 5, sizeDecimals: 1, minBaseTicks: 30, minQuoteMicro: 10_000_000,
    defaultImfBp: 2000, minImfBp: 1000, mmfBp: 600, closeoutBp: 400, startPrice: 3.51234, annualVol: 1.0,
    jumpsPerDay: 4, jumpSigma: 0.01, weight: 0.08, takerNotional: 300, ladderStepBp: 2 }),
];

/** `10^n` as a number (n ≤ 15). */
export const pow10 = (n: number): number => 10 ** n;

/** Converts a float price to price ticks (rounded). */
export const priceToTicks = (spec: MarketSpec, price: number): number => Math.round(price * pow10(spec.priceDecimals));
/** Converts price ticks to a float price. */
export const ticksToPrice = (spec: MarketSpec, ticks: number): number => ticks / pow10(spec.priceDecimals);
/** Converts size ticks to a float size. */
export const ticksToSize = (spec: MarketSpec, ticks: number): number => ticks / pow10(spec.sizeDecimals);

/**
 * Notional of `size` × `price` ticks in USDC micro-units. Exact for every simulated market, because
 * `priceDecimals + sizeDecimals ≤ 6` (checked by `validateMarkets`) and values stay below 2^53.
 */
export const quoteMicro = (spec: MarketSpec, sizeTicks: number, priceTicks: number): number =>
  sizeTicks * priceTicks * pow10(6 - spec.priceDecimals - spec.sizeDecimals);

/** Throws when a spec breaks an invariant the engine relies on. */
export function validateMarkets(specs: readonly MarketSpec[]): void {
  const ids = new Set<number>();
  for (const s of specs) {
    if (s.priceDecimals + s.sizeDecimals > 6) throw new RangeError(`${s.symbol}: price + size decimals exceed 6`);
    if (!(s.closeoutBp < s.mmfBp && s.mmfBp < s.minImfBp && s.minImfBp <= s.defaultImfBp)) {
      throw new RangeError(`${s.symbol}: margin fractions must satisfy C < M < I`);
    }
    if (ids.has(s.id)) throw new RangeError(`duplicate market id ${s.id}`);
    ids.add(s.id);
  }
}
