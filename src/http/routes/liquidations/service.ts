/**
 * Liquidations, framework-free: one market or all, by time range (oldest first, paged) or the
 * latest ones (newest first).
 */
import type { Static } from "elysia";
import { MAX_TIME_MS, MIN_TIME_MS } from "../../../domain/time";
import type { MarketInfo } from "../../../market/live";
import type { LiquidationRecord, MarketDataStore } from "../../../store/ports";
import type { MetaExtra } from "../../envelope";
import { type MarketDataSource, optionalMarket, resolveRange } from "../params";
import { formatNotional, formatUnits } from "../../../lib/decimal";
import { type ByTimeQuery, LIQUIDATION_LIMITS, type Liquidation, type LiquidationsData, type RecentQuery } from "./model";

/** The store (liquidations) and the live catalog (markets and their decimals). */
export interface LiquidationsDeps extends MarketDataSource {
  store: MarketDataStore;
}

type Result = { data: Static<typeof LiquidationsData>; meta: MetaExtra };

/** Reads behind GET /api/v1/liquidations/by-time and /api/v1/liquidations/recent. */
export class LiquidationsService {
  constructor(private readonly deps: LiquidationsDeps) {}

  /** Liquidations in [start, end), oldest first, paged. */
  async byTime(q: Static<typeof ByTimeQuery>, now: number): Promise<Result> {
    const range = resolveRange(q, now, { maxMs: LIQUIDATION_LIMITS.maxRangeMs });
    const market = await optionalMarket(this.deps, q.market_id);
    const limit = q.limit ?? LIQUIDATION_LIMITS.default;
    const offset = q.offset ?? 0;
    const page = await this.deps.store.queryLiquidations({ venue: this.deps.venue, marketId: market?.marketId, ...range, limit, offset });
    return { data: { liquidations: await this.format(page.rows, market) }, meta: { total: page.total, limit, offset } };
  }

  /** The latest `limit` liquidations, newest first, whatever their age. */
  async recent(q: Static<typeof RecentQuery>): Promise<Result> {
    const market = await optionalMarket(this.deps, q.market_id);
    const limit = q.limit ?? LIQUIDATION_LIMITS.default;
    const page = await this.deps.store.queryLiquidations({
      venue: this.deps.venue,
      marketId: market?.marketId,
      start: MIN_TIME_MS,
      end: MAX_TIME_MS,
      limit,
      offset: 0,
      order: "desc",
      count: false,
    });
    return { data: { liquidations: await this.format(page.rows, market) }, meta: { limit } };
  }

  /**
   * Formats rows with their market's decimals. Across all markets the catalog is read once; a row
   * of a market the venue no longer lists cannot be formatted and is left out.
   */
  private async format(rows: LiquidationRecord[], market: MarketInfo | undefined): Promise<Static<typeof Liquidation>[]> {
    if (rows.length === 0) return [];
    const catalog = market ? undefined : new Map((await this.deps.live.markets(this.deps.venue)).map((m) => [m.marketId, m]));
    const out: Static<typeof Liquidation>[] = [];
    for (const r of rows) {
      const m = market ?? catalog?.get(r.marketId);
      if (m) out.push(formatLiquidation(r, m));
    }
    return out;
  }
}

/** One liquidation on the wire. */
export function formatLiquidation(r: LiquidationRecord, m: MarketInfo): Static<typeof Liquidation> {
  return {
    id: r.id,
    market_id: r.marketId,
    symbol: m.symbol,
    account_id: r.accountId,
    side: r.side,
    price: formatUnits(r.price, m.priceDecimals),
    size: formatUnits(r.size, m.sizeDecimals),
    notional: formatNotional(r.price, r.size, m.priceDecimals + m.sizeDecimals),
    type: r.kind,
    timestamp: r.ts,
  };
}
