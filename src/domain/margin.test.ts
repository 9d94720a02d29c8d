import { describe, expect, test } from "bun:test";
import { formatScaled, parseScaled } from "../lib/decimal.ts";
import {
  accountMargin,
  averageEntryPrice,
  crossLiquidationPrice,
  crossMargin,
  formatUsdc,
  imfPercent,
  marginHealth,
  notional,
  positionValue,
  ratioToNumber,
  ratioToTicks,
  unrealizedPnl,
  zeroPrice,
  type MarginPosition,
} from "./margin.ts";

const usdc = (s: string): bigint => parseScaled(s, 6) as bigint;

/**
 * Reference §E.3, ccxt sample: the captured account shows position 18.0193 ETH, position_value
 * 54306.566340 and unrealized_pnl 6197.829558 at mark 3013.80; entry quote = value − upnl.
 */
const ethLong: MarginPosition = {
  sign: 1,
  size: parseScaled("18.0193", 4) as bigint,
  sizeDecimals: 4,
  entryQuote: usdc("54306.566340") - usdc("6197.829558"),
  mark: parseScaled("3013.80", 2) as bigint,
  priceDecimals: 2,
  imfBp: 500,
  mmfBp: 120,
  closeoutBp: 80,
};
const ccxtCollateral = usdc("9100.242706");

describe("reference §E.3 ccxt sample (ETH long 18.0193 @ mark 3013.80)", () => {
  test("position value and unrealized PnL match the capture", () => {
    expect(formatUsdc(positionValue(ethLong))).toBe("54306.566340");
    expect(formatUsdc(unrealizedPnl(ethLong))).toBe("6197.829558");
    expect(formatScaled(averageEntryPrice(ethLong), 2)).toBe("2669.84");
  });

  test("account figures: total asset value, IMR, MMR and available balance", () => {
    const m = accountMargin(ccxtCollateral, [ethLong]);
    expect(formatUsdc(m.totalAssetValue)).toBe("15298.072264");
    expect(formatUsdc(m.initialMarginRequirement)).toBe("2715.328317");
    expect(formatUsdc(m.maintenanceMarginRequirement)).toBe("651.678796");
    expect(formatUsdc(m.availableBalance)).toBe("12582.743947");
    expect(marginHealth(m)).toBe("healthy");
  });

  test("cross liquidation price is 2191.11072…", () => {
    const r = crossLiquidationPrice(ccxtCollateral, [ethLong], 0);
    expect(r).not.toBeNull();
    const price = ratioToNumber(r!);
    expect(price).toBeCloseTo(2191.1107231380406, 9);
    expect(formatScaled(ratioToTicks(r!, 2), 2)).toBe("2191.11");
  });

  test("at the liquidation price, account value equals MMR", () => {
    const r = crossLiquidationPrice(ccxtCollateral, [ethLong], 0)!;
    const atLiq = { ...ethLong, mark: ratioToTicks(r, 2) };
    const m = accountMargin(ccxtCollateral, [atLiq]);
    // One tick of rounding in the mark moves value by at most size × 0.01.
    const diff = m.totalAssetValue - m.maintenanceMarginRequirement;
    expect(diff < 0n ? -diff : diff).toBeLessThan(usdc("0.2"));
  });
});

describe("liquidation price edge cases", () => {
  test("a long worth less than its collateral has no positive liquidation price", () => {
    const p: MarginPosition = { ...ethLong, size: 10_000n, entryQuote: usdc("3000") }; // 1 ETH
    expect(crossLiquidationPrice(usdc("5000"), [p], 0)).toBeNull();
  });

  test("a short's liquidation price lies above the mark", () => {
    const short: MarginPosition = { ...ethLong, sign: -1, entryQuote: usdc("54306.566340") };
    const r = crossLiquidationPrice(usdc("5000"), [short], 0)!;
    const price = ratioToNumber(r);
    expect(price).toBeGreaterThan(3013.8);
    // TAV + size·(mark − p) = size·p·MMF  ⇒  p = (TAV + value) / (size·(1 + MMF))
    expect(price).toBeCloseTo((5000 + 54306.56634) / (18.0193 * 1.012), 6);
  });

  test("other positions' MMR lowers the cushion of the target position", () => {
    const btc: MarginPosition = {
      sign: -1, size: 100_000n, sizeDecimals: 5, entryQuote: usdc("95000"), mark: 950_000n,
      priceDecimals: 1, imfBp: 500, mmfBp: 120, closeoutBp: 80,
    };
    const alone = ratioToNumber(crossLiquidationPrice(ccxtCollateral, [ethLong], 0)!);
    const withBtc = ratioToNumber(crossLiquidationPrice(ccxtCollateral, [ethLong, btc], 0)!);
    // 1 BTC short at 95000 adds 1140 USDC of MMR: the ETH long is liquidated earlier (higher price).
    expect(withBtc).toBeGreaterThan(alone);
    expect(withBtc - alone).toBeCloseTo(1140 / (18.0193 * 0.988), 6);
  });
});

describe("zero price", () => {
  test("filling at the zero price leaves account value / MMR unchanged", () => {
    const underwater = { ...ethLong, mark: parseScaled("2188.00", 2) as bigint };
    const before = accountMargin(ccxtCollateral, [underwater]);
    expect(marginHealth(before)).toBe("partial_liquidation");
    const z = ratioToNumber(zeroPrice(ccxtCollateral, [underwater], 0)!);
    expect(z).toBeLessThan(2188);
    // Sell half the position at z: realized (z − mark) per unit moves into collateral.
    const half = underwater.size / 2n;
    const tav = Number(before.totalAssetValue) / 1e6 + (Number(half) / 1e4) * (z - 2188);
    const mmr = (Number(underwater.size - half) / 1e4) * 2188 * 0.012;
    const ratioBefore = Number(before.totalAssetValue) / Number(before.maintenanceMarginRequirement);
    expect(tav / mmr).toBeCloseTo(ratioBefore, 6);
  });
});

describe("formatting helpers", () => {
  test("notional is exact when size + price decimals ≤ 6", () => {
    expect(notional(5n, 4, 236_131n, 2)).toBe(1_180_655n); // 0.0005 × 2361.31 = 1.180655
  });
  test("IMF percent strings", () => {
    expect(imfPercent(500)).toBe("5.00");
    expect(imfPercent(3333)).toBe("33.33");
  });
});

describe("crossMargin (one pass)", () => {
  test("equals accountMargin and crossLiquidationPrice for every position, on varied accounts", () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let a = 0; a < 2000; a++) {
      // Magnitudes from tiny to whale-sized, so both the float path and the bigint fallback run.
      const scale = 10 ** Math.floor(rnd() * 7);
      const positions: MarginPosition[] = Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => ({
        sign: rnd() < 0.5 ? 1 : -1, size: BigInt(1 + Math.floor(rnd() * 5e3 * scale)), sizeDecimals: 4, entryQuote: BigInt(Math.floor(rnd() * 5e9 * scale)),
        mark: BigInt(1 + Math.floor(rnd() * 5e5)), priceDecimals: 2, imfBp: [200, 500, 1000][a % 3]!, mmfBp: 120, closeoutBp: 80,
      }));
      const collateral = BigInt(Math.floor(rnd() * 1e12));
      const one = crossMargin(Number(collateral), positions.map((p) => ({ ...p, size: Number(p.size), entryQuote: Number(p.entryQuote), mark: Number(p.mark) })));
      const m = accountMargin(collateral, positions);
      const { liquidationPrices: _l, values: _v, unrealized: _u, ...figures } = one;
      expect(figures).toEqual({
        totalAssetValue: Number(m.totalAssetValue), initialMarginRequirement: Number(m.initialMarginRequirement),
        maintenanceMarginRequirement: Number(m.maintenanceMarginRequirement), closeOutMarginRequirement: Number(m.closeOutMarginRequirement),
        availableBalance: Number(m.availableBalance), health: marginHealth(m),
      });
      positions.forEach((p, k) => {
        const ratio = crossLiquidationPrice(collateral, positions, k);
        expect(one.liquidationPrices[k]).toBe(ratio ? ratioToNumber(ratio) : null);
        expect(one.values[k]).toBe(Number(positionValue(p)));
        expect(one.unrealized[k]).toBe(Number(unrealizedPnl(p)));
      });
    }
  });
});

describe("crossMargin with a liquidation memo", () => {
  test("a position's own mark does not move its liquidation price; with the memo every result equals the memo-less one", () => {
    let seed = 23;
    const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const positions = Array.from({ length: 3 }, (_, k) => ({
      sign: (k % 2 ? -1 : 1) as 1 | -1, size: 1 + Math.floor(rnd() * 5e4), sizeDecimals: 4, entryQuote: Math.floor(rnd() * 5e9), mark: 300_000 + k,
      priceDecimals: 2, imfBp: 500, mmfBp: 120, closeoutBp: 80,
    }));
    const memo: { num: number; den: number; sizeDecimals: number; price: number | null }[] = [];
    let ownOnly = crossMargin(2e10, positions, memo);
    for (let step = 0; step < 200; step++) {
      // Move one market's mark (sometimes by a lot), sometimes the collateral.
      const k = step % 3;
      positions[k] = { ...positions[k]!, mark: Math.max(1, positions[k]!.mark + Math.round((rnd() - 0.5) * 20_000)) };
      const collateral = step % 7 === 0 ? Math.floor(rnd() * 3e10) : 2e10;
      const withMemo = crossMargin(collateral, positions, memo);
      expect(withMemo).toEqual(crossMargin(collateral, positions));
      if (collateral === 2e10 && step % 7 !== 1) expect(withMemo.liquidationPrices[k]).toBe(ownOnly.liquidationPrices[k]!);
      ownOnly = withMemo;
    }
  });
});
