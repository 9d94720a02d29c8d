/**
 * One account's routes, framework-free: positions and liquidation risk from the tracker's memory,
 * fills and the PnL history from the store.
 */
import type { Static } from "elysia";
import { formatUsdc, positionValue, type MarginPosition } from "../../../domain/margin";
import { positionRisks, scenario, shockedPositions, uniformMoveToLiquidation, type MarginScenario } from "../../../domain/liquidation-risk";
import { DAY_MS, RESOLUTION_MS } from "../../../domain/time";
import { AppError, badRequest, notFound } from "../../../lib/errors";
import type { AccountView } from "../../../actors/accounts/account-view";
import type { CandleResolution } from "../../../store/ports";
import type { PnlSnapshotRecord } from "../../../store/accounts.port";
import type { MetaExtra } from "../../envelope";
import { resolveRange } from "../params";
import { formatUnits } from "../../../lib/decimal";
import { formatFill, formatPosition, formatSummary } from "./format";
import type { FillsQuery, PnlQuery, RiskQuery } from "./requests";
import { type AccountsDeps, catalog, requireTracker } from "./resolve";

const MAX_PNL_POINTS = 1_000;
/** Snapshots read per store query when bucketing PnL history. */
const PNL_PAGE = 10_000;
const usd = formatUsdc;

/** Reads behind GET /api/v1/accounts/:id/{positions,fills,pnl,liquidation-risk}. */
export class AccountService {
  constructor(private readonly deps: AccountsDeps) {}

  /** The tracked account, or 404 (queuing a lookup when we simply do not track it yet). */
  private view(id: number): AccountView {
    const model = requireTracker(this.deps);
    const v = model.view(id);
    if (v && !v.account.missing) return v;
    if (v?.account.missing || model.missing(id)) throw notFound(`account ${id} does not exist on ${this.deps.venue}`);
    model.request([id]);
    throw notFound(`account ${id} is not tracked yet; a lookup has been queued, retry in a few seconds`);
  }

  positions(id: number) {
    const v = this.view(id);
    return { ...formatSummary(v), positions: v.positions.map(formatPosition) };
  }

  /** Stored fills, newest first, paged. */
  async fills(id: number, q: Static<typeof FillsQuery>, now: number): Promise<{ data: { account_index: number; fills: ReturnType<typeof formatFill>[] }; meta: MetaExtra }> {
    const range = resolveRange(q, now, { maxMs: 31 * DAY_MS, defaultStart: (end) => end - 7 * DAY_MS });
    const limit = q.limit ?? 100;
    const offset = q.offset ?? 0;
    const [page, markets] = await Promise.all([
      this.deps.store.queryFills({ venue: this.deps.venue, accountId: id, marketId: q.market_id, ...range, limit, offset }),
      catalog(this.deps),
    ]);
    const fills = page.rows.flatMap((f) => { const m = markets.get(f.marketId); return m ? [formatFill(f, m)] : []; });
    return { data: { account_index: id, fills }, meta: { total: page.total, limit, offset } };
  }

  /** PnL snapshots at a resolution (the last snapshot of each bucket), and the live figures. */
  async pnl(id: number, q: Static<typeof PnlQuery>, now: number) {
    const resolution = q.resolution ?? "1h";
    const step = RESOLUTION_MS[resolution as CandleResolution];
    const range = resolveRange(q, now, { maxMs: step * MAX_PNL_POINTS, defaultStart: (end) => end - Math.min(7 * DAY_MS, step * MAX_PNL_POINTS) });
    // Snapshots are read in pages (one per (account, ts), so the next page starts after the last
    // time seen), and only each bucket's last snapshot is formatted: a 1d resolution over 1,000
    // days reads every stored snapshot, never truncated, without holding them all.
    const points: ReturnType<typeof point>[] = [];
    let last: PnlSnapshotRecord | undefined;
    const flush = () => {
      if (last) points.push(point(Math.floor(last.ts / step) * step, last.equity, last.collateral, last.unrealizedPnl, last.realizedPnl, last.fundingPaid, last.notional, last.positions));
    };
    for (let start = range.start; ; ) {
      const rows = await this.deps.store.queryPnlSnapshots({ venue: this.deps.venue, accountId: id, start, end: range.end, limit: PNL_PAGE });
      for (const r of rows) {
        if (last && Math.floor(r.ts / step) !== Math.floor(last.ts / step)) flush();
        last = r;
      }
      if (rows.length < PNL_PAGE) break;
      start = rows[rows.length - 1]!.ts + 1;
    }
    flush();
    const v = this.deps.accounts.view(id);
    const c = v?.account.collateral;
    const current = v && c !== undefined && c !== null
      ? point(now, c + v.unrealizedPnl, c, v.unrealizedPnl, v.realizedPnl, v.fundingPaid, v.longNotional + v.shortNotional, v.positions.length)
      : null;
    if (points.length === 0 && !current && !v) throw notFound(`no PnL history for account ${id}`);
    return { account_index: id, resolution, points, current };
  }

  /** Liquidation prices and distances, margin ratio and stage, and a price shock's effect. */
  liquidationRisk(id: number, q: Static<typeof RiskQuery>) {
    const v = this.view(id);
    if (v.account.collateral === null || !v.margin) {
      throw new AppError("service_unavailable", `account ${id}'s collateral is not loaded yet; retry shortly`, { headers: { "retry-after": "2" } });
    }
    if (q.shock_pct !== undefined && q.shock_pct === 0) throw badRequest("'shock_pct' must not be 0", { in: "query", field: "shock_pct" });
    const collateral = BigInt(v.account.collateral);
    // Cross positions only: isolated ones are margined apart and have their own liquidation price.
    const cross = v.positions.filter((p) => p.marginMode === 0 && p.mark !== null);
    const inputs: MarginPosition[] = cross.map((p) => ({
      sign: p.sign, size: BigInt(p.size), sizeDecimals: p.market.sizeDecimals, entryQuote: BigInt(p.entryQuote), mark: BigInt(p.mark as number),
      priceDecimals: p.market.priceDecimals, imfBp: p.imfBp, mmfBp: p.market.mmfBp, closeoutBp: p.market.closeoutBp,
    }));
    const rows = (positions: MarginPosition[]) => {
      const risks = positionRisks(collateral, positions);
      return positions.map((p, k) => {
        const r = risks[k]!;
        const m = cross[k]!.market;
        return {
          market_id: m.marketId, symbol: m.symbol, side: p.sign > 0 ? ("long" as const) : ("short" as const), size: formatPosition(cross[k]!).size,
          mark_price: formatUnits(Number(p.mark), p.priceDecimals), notional_usd: usd(positionValue(p)),
          liquidation_price: r.liquidationPrice === null ? null : String(r.liquidationPrice), distance_pct: r.distancePct === null ? null : r.distancePct.toFixed(4),
          breached: r.breached,
        };
      });
    };
    const move = uniformMoveToLiquidation(collateral, inputs);
    let shock = null;
    if (q.shock_pct !== undefined) {
      const shocked = shockedPositions(inputs, q.shock_pct / 100, q.market_id === undefined ? undefined : (k) => cross[k]!.marketId === q.market_id);
      const after = scenario(collateral, shocked);
      shock = { shock_pct: q.shock_pct, market_id: q.market_id ?? null, after: scenarioWire(after), liquidated: after.health === "partial_liquidation" || after.health === "full_liquidation", positions: rows(shocked) };
    }
    return {
      account_index: id, collateral: usd(collateral), now: scenarioWire(scenario(collateral, inputs)),
      uniform_move_to_liquidation_pct: move === null ? null : (move * 100).toFixed(4), positions: rows(inputs), shock,
    };
  }
}

function point(ts: number, equity: number, collateral: number, upnl: number, realized: number, funding: number, notional: number, positions: number) {
  return {
    timestamp: ts, equity: usd(equity), collateral: usd(collateral), unrealized_pnl: usd(upnl), realized_pnl: usd(realized),
    funding_paid: usd(funding), notional_usd: usd(notional), positions,
  };
}

function scenarioWire(s: MarginScenario) {
  return {
    total_asset_value: usd(s.margin.totalAssetValue), maintenance_margin_requirement: usd(s.margin.maintenanceMarginRequirement),
    initial_margin_requirement: usd(s.margin.initialMarginRequirement), margin_ratio: s.marginRatio === null ? null : s.marginRatio.toFixed(4), health: s.health,
  };
}
