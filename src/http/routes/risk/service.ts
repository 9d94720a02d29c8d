/**
 * Liquidation heatmap, cascade and top accounts, framework-free, from the tracked positions in
 * memory and (for the cascade) the live book. The model of each is in docs/accounts.md.
 */
import type { Static } from "elysia";
import { formatUsdc } from "../../../domain/margin";
import { simulateCascade, type CascadePosition } from "../../../domain/cascade";
import { buildHeatmap } from "../../../domain/heatmap";
import { AppError, badRequest } from "../../../lib/errors";
import { formatUnits, parseScaledNumber } from "../../../lib/decimal";
import { defaultGrid, heatmapPositions, positionIn, topAccounts, topPositions } from "../../../actors/accounts/risk-queries";
import type { MarketInfo } from "../../../market/live";
import { formatPosition } from "../accounts/format";
import { type AccountsDeps, requireTracker } from "../accounts/resolve";
import { parseDecimalQuery, requireMarket } from "../params";
import { CASCADE_LIMITS, type CascadeData, type CascadeQuery, type ExchangeTopData, type HeatmapData, type HeatmapQuery, type MarketTopData } from "./model";

const usd = (micro: number | bigint) => formatUsdc(micro);

/** Reads behind the heatmap, cascade and top-accounts routes. */
export class RiskService {
  constructor(private readonly deps: AccountsDeps) {}

  private async market(marketId: number): Promise<{ market: MarketInfo; mark: number }> {
    const market = await requireMarket(this.deps, marketId);
    const mark = requireTracker(this.deps).mark(marketId);
    if (mark === undefined) throw new AppError("service_unavailable", `no mark price for market ${marketId} yet; retry shortly`, { headers: { "retry-after": "1" } });
    return { market, mark };
  }

  async heatmap(marketId: number, q: Static<typeof HeatmapQuery>): Promise<Static<typeof HeatmapData>> {
    const { market, mark } = await this.market(marketId);
    const pd = market.priceDecimals;
    const bucketTicks = q.bucket_size === undefined ? undefined : parseDecimalQuery("bucket_size", q.bucket_size, pd, "exact");
    if (bucketTicks === 0) throw badRequest("'bucket_size' must be positive", { in: "query", field: "bucket_size" });
    const range = (q.range_pct ?? 20) / 100;
    const minTicks = q.min_price === undefined ? mark * (1 - range) : parseDecimalQuery("min_price", q.min_price, pd, "floor");
    const maxTicks = q.max_price === undefined ? mark * (1 + range) : parseDecimalQuery("max_price", q.max_price, pd, "ceil");
    if (minTicks >= maxTicks) throw badRequest("'min_price' must be below 'max_price'", { in: "query", field: "min_price" });
    let grid;
    try {
      grid = defaultGrid(mark, { bucketTicks, minTicks, maxTicks });
    } catch (err) {
      throw badRequest(`bucket_size too small for the range: ${(err as Error).message}`, { in: "query", field: "bucket_size" });
    }
    const model = requireTracker(this.deps);
    const positions = heatmapPositions(model, marketId);
    const h = buildHeatmap(positions, grid);
    const t = h.totals;
    return {
      market_id: marketId, symbol: market.symbol, mark_price: formatUnits(mark, pd), bucket_size: formatUnits(grid.bucketTicks, pd),
      min_price: formatUnits(grid.minTicks, pd), max_price: formatUnits(grid.maxTicks, pd),
      buckets: h.buckets.map((b) => ({
        price: formatUnits(b.priceTicks, pd), long_liquidation_usd: usd(b.long), short_liquidation_usd: usd(b.short), long_positions: b.longPositions,
        short_positions: b.shortPositions, cumulative_long_usd: usd(b.cumulativeLong), cumulative_short_usd: usd(b.cumulativeShort),
      })),
      totals: {
        long_usd: usd(t.long), short_usd: usd(t.short), long_positions: t.longPositions, short_positions: t.shortPositions,
        long_out_of_range_usd: usd(t.longOutOfRange), short_out_of_range_usd: usd(t.shortOutOfRange), long_not_at_risk_usd: usd(t.longSafe),
        long_not_at_risk_positions: t.longSafePositions, unknown_usd: usd(t.unknown), unknown_positions: t.unknownPositions,
      },
      // One position per market per account: the positions are the accounts.
      accounts: positions.length,
      timestamp: this.deps.clock.now(),
    };
  }

  async cascade(marketId: number, q: Static<typeof CascadeQuery>): Promise<Static<typeof CascadeData>> {
    if (q.shock_pct === 0) throw badRequest("'shock_pct' must not be 0", { in: "query", field: "shock_pct" });
    const { market, mark } = await this.market(marketId);
    const book = await this.deps.live.book(this.deps.venue, marketId);
    if (!book) throw new AppError("service_unavailable", `no live book for market ${marketId} yet; retry shortly`, { headers: { "retry-after": "1" } });
    const pd = market.priceDecimals;
    const sd = market.sizeDecimals;
    const down = q.shock_pct < 0;
    const shockTicks = Math.max(1, Math.round(mark * (1 + q.shock_pct / 100)));
    const positions: CascadePosition[] = [];
    for (const v of requireTracker(this.deps).inMarket(marketId)) {
      const p = positionIn(v, marketId);
      if (p && p.liquidationTicks !== null && (p.sign > 0) === down) positions.push({ liquidationTicks: p.liquidationTicks, size: p.size });
    }
    const levels = (down ? book.bids : book.asks).map((l) => [parseScaledNumber(l.price, pd), parseScaledNumber(l.size, sd)] as const);
    const r = simulateCascade({ direction: down ? "down" : "up", markTicks: mark, shockTicks, positions, book: levels, market, maxSteps: q.max_steps ?? CASCADE_LIMITS.maxSteps.default });
    const total = r.steps.reduce((a, s) => a + s.filledQuote, 0);
    return {
      market_id: marketId, symbol: market.symbol, direction: down ? "down" : "up", mark_price: formatUnits(mark, pd), shock_price: formatUnits(shockTicks, pd),
      final_price: formatUnits(r.finalTicks, pd), total_move_pct: (((r.finalTicks - mark) / mark) * 100).toFixed(4),
      steps: r.steps.map((s, i) => ({
        step: i + 1, trigger_price: formatUnits(s.triggerTicks, pd), positions: s.positions, liquidated_size: formatUnits(s.size, sd),
        filled_size: formatUnits(s.filledSize, sd), liquidated_usd: usd(s.filledQuote), vwap: s.vwapTicks === null ? null : (s.vwapTicks / 10 ** pd).toFixed(pd + 2),
        end_price: formatUnits(s.endTicks, pd), slippage_pct: s.slippagePct.toFixed(4),
      })),
      total_liquidated_usd: usd(total), total_positions: r.steps.reduce((a, s) => a + s.positions, 0), unfilled_size: formatUnits(r.unfilledSize, sd),
      stopped_by: r.stoppedBy, book_levels: levels.length, timestamp: this.deps.clock.now(),
    };
  }

  async marketTop(marketId: number, side: "long" | "short" | "all", limit: number): Promise<{ data: Static<typeof MarketTopData>; total: number }> {
    const market = await requireMarket(this.deps, marketId);
    const model = requireTracker(this.deps);
    const mark = model.mark(marketId);
    const rows = topPositions(model, marketId, side, limit);
    return {
      data: {
        market_id: marketId, symbol: market.symbol, mark_price: mark === undefined ? null : formatUnits(mark, market.priceDecimals), side,
        accounts: rows.map((r, i) => ({ rank: i + 1, account_index: r.view.account.id, position: formatPosition(r.position) })),
      },
      total: model.inMarket(marketId).length,
    };
  }

  exchangeTop(side: "long" | "short" | "all", limit: number): Static<typeof ExchangeTopData> {
    const rows = topAccounts(requireTracker(this.deps), side, limit);
    return {
      side,
      accounts: rows.map((v, i) => {
        const m = v.margin;
        return {
          rank: i + 1, account_index: v.account.id, total_notional_usd: usd(v.longNotional + v.shortNotional), long_notional_usd: usd(v.longNotional),
          short_notional_usd: usd(v.shortNotional), positions: v.positions.length, unrealized_pnl: usd(v.unrealizedPnl),
          total_asset_value: m ? usd(m.totalAssetValue) : null,
          margin_ratio: m && m.maintenanceMarginRequirement > 0 ? (m.totalAssetValue / m.maintenanceMarginRequirement).toFixed(4) : null,
        };
      }),
    };
  }
}
