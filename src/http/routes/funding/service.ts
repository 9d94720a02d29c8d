/**
 * Funding rates, framework-free: current figures from the live read model, settlements from the store.
 */
import type { Static } from "elysia";
import type { MarketInfo } from "../../../market/live";
import type { FundingRecord, MarketDataStore } from "../../../store/ports";
import type { MetaExtra } from "../../envelope";
import { type MarketDataSource, optionalMarket, resolveRange } from "../params";
import { formatUnits } from "../../../lib/decimal";
import { type CurrentRate, type CurrentRatesData, FUNDING_LIMITS, type HistoryData, type HistoryQuery, type SettledRate } from "./model";

/** The live read model (current rates) and the store (settlements). */
export interface FundingDeps extends MarketDataSource {
  store: MarketDataStore;
}

/** Reads behind GET /api/v1/funding-rates and /api/v1/funding-rates/history. */
export class FundingService {
  constructor(private readonly deps: FundingDeps) {}

  /** Every listed market's current funding, mark and index; nulls where the feed has no stats yet. */
  async current(): Promise<Static<typeof CurrentRatesData>> {
    const { venue, live } = this.deps;
    const markets = [...(await live.markets(venue))].sort((a, b) => a.marketId - b.marketId);
    const rates = await Promise.all(
      markets.map(async (m): Promise<Static<typeof CurrentRate>> => {
        const s = await live.stats(venue, m.marketId);
        return {
          market_id: m.marketId,
          symbol: m.symbol,
          funding_rate: s?.funding_rate ?? null,
          predicted_rate: s?.predicted_funding_rate ?? null,
          mark_price: s?.mark_price ?? null,
          index_price: s?.index_price ?? null,
          next_funding_time: s?.next_funding_time ?? null,
          last_funding_time: s?.last_funding_time ?? null,
          timestamp: s?.timestamp ?? null,
        };
      }),
    );
    return { rates };
  }

  /** Settlements in [start, end), oldest first, of one market or all, paged. */
  async history(q: Static<typeof HistoryQuery>, now: number): Promise<{ data: Static<typeof HistoryData>; meta: MetaExtra }> {
    const range = resolveRange(q, now, { maxMs: FUNDING_LIMITS.maxRangeMs });
    const market = await optionalMarket(this.deps, q.market_id);
    const limit = q.limit ?? FUNDING_LIMITS.default;
    const offset = q.offset ?? 0;
    const page = await this.deps.store.queryFunding({ venue: this.deps.venue, marketId: market?.marketId, ...range, limit, offset });
    const catalog = market ? undefined : new Map((await this.deps.live.markets(this.deps.venue)).map((m) => [m.marketId, m]));
    const rates: Static<typeof SettledRate>[] = [];
    for (const r of page.rows) {
      // A settlement of a market the venue no longer lists has no decimals to format with.
      const m = market ?? catalog?.get(r.marketId);
      if (m) rates.push(formatSettlement(r, m));
    }
    return { data: { rates }, meta: { total: page.total, limit, offset } };
  }
}

/** One stored settlement on the wire. */
export function formatSettlement(r: FundingRecord, m: MarketInfo): Static<typeof SettledRate> {
  return {
    market_id: r.marketId,
    symbol: m.symbol,
    funding_rate: r.rate,
    mark_price: formatUnits(r.markPrice, m.priceDecimals),
    index_price: formatUnits(r.indexPrice, m.priceDecimals),
    timestamp: r.ts,
  };
}
