/**
 * The initial population: market makers, an insurance fund and thousands of traders with USDC
 * collateral and cross positions at varied leverage. Positions are created in long/short pairs, so
 * open interest is balanced from the first instant, as on a real venue.
 */
import { AccountRegistry, INSURANCE_FUND_INDEX, approxMargin, type MarkSource, type SimAccount, type SimPosition } from "./accounts.ts";
import { priceToTicks, quoteMicro, pow10, type MarketSpec } from "./markets.ts";
import type { SimRng } from "./rng.ts";

/** Leverage choices of traders and how often each is picked. */
const LEVERAGES = [1, 2, 3, 5, 10, 20, 25, 50] as const;
const LEVERAGE_WEIGHTS = [6, 10, 14, 22, 24, 14, 6, 4] as const;
/** Sub-account and pool indices start at 2^48 (reference §E.1). */
const SUB_ACCOUNT_BASE = 281_474_976_710_656;
const MARKET_MAKERS = 4;

function hexAddress(rng: SimRng): string {
  return "0x" + rng.hex64().slice(0, 40);
}

function pickLeverage(rng: SimRng): number {
  const total = LEVERAGE_WEIGHTS.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let i = 0; i < LEVERAGES.length; i++) {
    u -= LEVERAGE_WEIGHTS[i] as number;
    if (u < 0) return LEVERAGES[i] as number;
  }
  return 5;
}

function newAccount(index: number, l1Address: string, role: SimAccount["role"], createdAt: number): SimAccount {
  return {
    index, l1Address, accountType: index >= SUB_ACCOUNT_BASE && role !== "insurance" ? 1 : 0, role,
    collateral: 0, deposited: 0, positions: new Map(), imfPrefs: new Map(), takerFee: 0, makerFee: 0,
    orders: new Set(), orderCount: 0, nonce: 0, volume: 0, createdAt, nextRiskCheck: 0,
  };
}

function deposit(acct: SimAccount, micro: number): void {
  const amount = Math.max(0, Math.round(micro));
  acct.collateral += amount;
  acct.deposited += amount;
}

/** Builds the starting accounts for `specs` (marks at the start prices). */
export function createPopulation(rng: SimRng, specs: readonly MarketSpec[], traderCount: number, startMs: number): AccountRegistry {
  const registry = new AccountRegistry();
  const createdAt = Math.floor(startMs / 1000) - 86_400 * 30;
  const insurance = newAccount(INSURANCE_FUND_INDEX, "0x" + "0".repeat(39) + "1", "insurance", createdAt);
  deposit(insurance, 25_000_000 * 1e6);
  registry.add(insurance);

  const mmAddress = hexAddress(rng);
  for (let i = 0; i < MARKET_MAKERS; i++) {
    const mm = newAccount(SUB_ACCOUNT_BASE + 17 + i * 131, mmAddress, "maker", createdAt);
    deposit(mm, 60_000_000 * 1e6);
    mm.makerFee = i === 0 ? 0 : 28;
    mm.takerFee = 196;
    for (const s of specs) mm.imfPrefs.set(s.id, s.minImfBp);
    registry.add(mm);
  }

  // Distinct master indices spread like real ones (a few thousand up to ~720k).
  const used = new Set<number>();
  let lastMaster: SimAccount | undefined;
  for (let i = 0; i < traderCount; i++) {
    const asSub = lastMaster !== undefined && rng.chance(0.12);
    let index: number;
    do {
      index = asSub ? SUB_ACCOUNT_BASE + 100_000 + rng.below(60_000_000) : 1_000 + rng.below(720_000);
    } while (used.has(index));
    used.add(index);
    const address = asSub && lastMaster ? lastMaster.l1Address : hexAddress(rng);
    const acct = newAccount(index, address, "trader", createdAt + rng.below(86_400 * 25));
    const leverage = pickLeverage(rng);
    for (const s of specs) {
      const lev = Math.min(leverage, Math.floor(10_000 / s.minImfBp));
      acct.imfPrefs.set(s.id, Math.max(s.minImfBp, Math.round(10_000 / lev)));
    }
    if (rng.chance(0.1)) {
      acct.takerFee = 196;
      acct.makerFee = 28;
    }
    deposit(acct, rng.lognormal(Math.log(4_000), 1.3) * 1e6);
    registry.add(acct);
    if (!asSub) lastMaster = acct;
  }

  seedPositions(rng, registry, specs);
  return registry;
}

/** Gives about 60% of traders positions in long/short pairs, entries scattered around the start. */
function seedPositions(rng: SimRng, registry: AccountRegistry, specs: readonly MarketSpec[]): void {
  const traders = registry.traders;
  if (traders.length < 2) return;
  const totalWeight = specs.reduce((a, s) => a + s.weight, 0);
  const pickSpec = (): MarketSpec => {
    let u = rng.next() * totalWeight;
    for (const s of specs) if ((u -= s.weight) < 0) return s;
    return specs[0] as MarketSpec;
  };
  const pairs = Math.round(traders.length * 0.45);
  for (let k = 0; k < pairs; k++) {
    const spec = pickSpec();
    const a = rng.pick(traders);
    const b = rng.pick(traders);
    if (a === b || conflicts(a, spec.id, 1) || conflicts(b, spec.id, -1)) continue;
    const notionalUsd = Math.min(rng.pareto(spec.takerNotional * 4, 1.4), spec.takerNotional * 2_000);
    const size = Math.max(spec.minBaseTicks, Math.round((notionalUsd / spec.startPrice) * pow10(spec.sizeDecimals)));
    addPosition(a, spec, size, spec.startPrice * (1 + 0.015 * rng.normal()));
    addPosition(b, spec, -size, spec.startPrice * (1 + 0.015 * rng.normal()));
  }
  const byId = new Map(specs.map((s) => [s.id, s]));
  const marks: MarkSource = {
    spec: (id) => byId.get(id) as MarketSpec,
    mark: (id) => priceToTicks(byId.get(id) as MarketSpec, (byId.get(id) as MarketSpec).startPrice),
  };
  // Collateral: enough for the chosen leverage with a varied cushion, never below IMR at the start.
  for (const acct of traders) {
    if (acct.positions.size === 0) continue;
    const m = approxMargin(acct, marks);
    const cushion = 1.02 + rng.lognormal(Math.log(0.6), 0.9);
    const wanted = m.imr * cushion - (m.tav - acct.collateral / 1e6);
    if (wanted * 1e6 > acct.collateral) deposit(acct, wanted * 1e6 - acct.collateral);
  }
}

/** True when the account already holds the opposite side in this market. */
function conflicts(acct: SimAccount, marketId: number, sign: 1 | -1): boolean {
  const size = acct.positions.get(marketId)?.size ?? 0;
  return size !== 0 && Math.sign(size) !== sign;
}

function addPosition(acct: SimAccount, spec: MarketSpec, signedSize: number, entryPrice: number): void {
  const existing = acct.positions.get(spec.id);
  const price = Math.max(1, priceToTicks(spec, entryPrice));
  const quote = quoteMicro(spec, Math.abs(signedSize), price);
  if (existing && existing.size !== 0) {
    existing.size += signedSize;
    existing.entryQuote += quote;
    return;
  }
  const pos: SimPosition = {
    marketId: spec.id, size: signedSize, entryQuote: quote,
    imfBp: acct.imfPrefs.get(spec.id) ?? spec.defaultImfBp, realizedPnl: 0, fundingPaid: 0,
  };
  acct.positions.set(spec.id, pos);
}
