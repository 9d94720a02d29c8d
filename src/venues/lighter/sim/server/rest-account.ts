/**
 * REST routes for accounts (reference §B.2): account, accountsByL1Address, liquidations, pnl,
 * positionFunding, accountActiveOrders. `auth`/`authorization` are accepted and not checked: the
 * simulator's data is synthetic.
 */
import type { AccountPnL, DetailedAccounts, Liquidations, Orders, PnLEntry, PositionFundings, SubAccounts } from "../../protocol.ts";
import type { SimAccount } from "../engine/accounts.ts";
import type { Exchange } from "../engine/exchange.ts";
import type { LiquidationRecord, PnlPoint, PositionFundingRecord } from "../engine/ledger.ts";
import { RESOLUTIONS } from "../engine/candles.ts";
import { approxMargin } from "../engine/accounts.ts";
import { detailedAccount, liquidation, order, positionFunding, subAccount } from "./format-account.ts";
import { Query, VENUE_ERRORS, VenueError, marketParam } from "./params.ts";
import type { Route } from "./rest-market.ts";

const MAX_PNL_POINTS = 500;

function accountOf(ex: Exchange, index: number | undefined): SimAccount {
  const acct = index === undefined ? undefined : ex.accounts.get(index);
  if (!acct) throw new VenueError(VENUE_ERRORS.accountNotFound, "account not found");
  return acct;
}

function accountParam(ex: Exchange, q: Query, name = "account_index"): SimAccount {
  return accountOf(ex, q.int(name, true));
}

const account: Route = (ex, q): DetailedAccounts => {
  const by = q.oneOf("by", ["index", "l1_address"] as const);
  const value = q.string("value", true);
  q.bool("active_only");
  let found: SimAccount[];
  if (by === "index") {
    if (!/^\d+$/.test(value)) throw new VenueError(VENUE_ERRORS.invalidParam, "invalid param: value");
    found = [accountOf(ex, Number(value))];
  } else {
    found = ex.accounts.byAddress(value);
    if (found.length === 0) throw new VenueError(VENUE_ERRORS.accountNotFound, "account not found");
  }
  return { code: 200, total: found.length, accounts: found.map((a) => detailedAccount(ex, a)) };
};

const accountsByL1Address: Route = (ex, q): SubAccounts => {
  const address = q.string("l1_address", true);
  const found = ex.accounts.byAddress(address);
  if (found.length === 0) throw new VenueError(VENUE_ERRORS.accountNotFound, "account not found");
  return { code: 200, l1_address: (found[0] as SimAccount).l1Address, sub_accounts: found.map((a) => subAccount(ex, a)) };
};

/** Cursor of the id-ordered lists: the last id returned (exclusive). */
function cursorParam(q: Query): number {
  const cursor = q.string("cursor");
  if (cursor === undefined) return Infinity;
  if (!/^\d+$/.test(cursor)) throw new VenueError(VENUE_ERRORS.invalidParam, "invalid param: cursor");
  return Number(cursor);
}

const liquidations: Route = (ex, q): Liquidations => {
  const acct = accountParam(ex, q);
  const limit = q.limit(100);
  const market = marketParam(ex, q, { required: false, allowAll: true });
  const before = cursorParam(q);
  const keep = (r: LiquidationRecord) => r.id < before && (!market || r.marketId === market.spec.id);
  const found = ex.ledger.liquidations.get(acct.index)?.newest(limit + 1, keep) ?? [];
  const page = found.slice(0, limit);
  const body: Liquidations = { code: 200, liquidations: page.map((r) => liquidation(ex, r)) };
  if (found.length > limit) body.next_cursor = String((page[page.length - 1] as LiquidationRecord).id);
  return body;
};

const positionFundingRoute: Route = (ex, q): PositionFundings => {
  const acct = accountParam(ex, q);
  const limit = q.limit(100);
  const market = marketParam(ex, q, { required: false, allowAll: true });
  const ids = q.string("market_ids")?.split(",").filter(Boolean).map(Number);
  const side = q.oneOf("side", ["long", "short", "all"] as const, "all");
  const start = q.time("start_timestamp") ?? -Infinity;
  const end = q.time("end_timestamp") ?? Infinity;
  const offset = Number.isFinite(cursorParam(q)) ? cursorParam(q) : 0;
  const keep = (r: PositionFundingRecord): boolean =>
    (!market || r.marketId === market.spec.id) && (!ids || ids.includes(r.marketId)) &&
    (side === "all" || (side === "long") === r.size > 0) && r.time >= start && r.time < end;
  const found = ex.ledger.positionFundings.get(acct.index)?.newest(offset + limit + 1, keep) ?? [];
  const page = found.slice(offset, offset + limit);
  const body: PositionFundings = { code: 200, position_fundings: page.map((r) => positionFunding(ex, r)) };
  if (found.length > offset + limit) body.next_cursor = String(offset + limit);
  return body;
};

const activeOrders: Route = (ex, q): Orders => {
  const acct = accountParam(ex, q);
  const market = marketParam(ex, q, { required: false, allowAll: true });
  q.oneOf("market_type", ["all", "spot", "perp"] as const, "all");
  const out: Orders["orders"] = [];
  for (const m of market ? [market] : ex.markets) {
    for (const id of acct.orders) {
      const o = m.book.orders.get(id);
      if (o) out.push(order(ex, o));
    }
  }
  return { code: 200, orders: out };
};

const PNL_FIELDS = ["trade_spot_pnl", "outflow", "spot_inflow", "spot_outflow", "pool_pnl", "pool_inflow", "pool_outflow",
  "staking_pnl", "staking_inflow", "staking_outflow", "pool_total_shares", "staked_lit"] as const;

/** Cumulative PnL at each resolution step; the current step adds the open positions' unrealized PnL. */
const pnl: Route = (ex, q): AccountPnL => {
  q.oneOf("by", ["index"] as const);
  const acct = accountOf(ex, q.int("value", true));
  const resolution = q.oneOf("resolution", ["1m", "5m", "15m", "1h", "4h", "1d"] as const);
  const step = RESOLUTIONS[resolution] as number;
  const start = q.time("start_timestamp", true);
  const end = Math.min(q.time("end_timestamp", true), ex.now + step);
  q.int("count_back", true);
  const ignoreTransfers = q.bool("ignore_transfers") ?? false;
  const points: PnlPoint[] = ex.ledger.pnl.get(acct.index)?.toArray() ?? [];
  const m = approxMargin(acct, ex);
  const unrealized = m.tav - acct.collateral / 1e6;
  const rows: PnLEntry[] = [];
  let k = 0;
  let last: PnlPoint | undefined;
  const first = Math.max(Math.floor(start / step) * step, Math.floor((acct.createdAt * 1000) / step) * step);
  for (let t = first; t < end && rows.length < MAX_PNL_POINTS; t += step) {
    while (k < points.length && (points[k] as PnlPoint).time < t + step) last = points[k++];
    const current = t + step > ex.now;
    const row = {
      timestamp: Math.floor(t / 1000),
      trade_pnl: (last?.tradePnl ?? 0) / 1e6 + (current ? unrealized : 0),
      inflow: ignoreTransfers ? 0 : acct.deposited / 1e6,
      volume: (last?.volume ?? 0) / 1e6,
    } as PnLEntry;
    for (const f of PNL_FIELDS) row[f] = 0;
    rows.push(row);
  }
  return { code: 200, resolution, pnl: rows };
};

/** Account routes by path. */
export const accountRoutes: Readonly<Record<string, Route>> = {
  "/api/v1/account": account,
  "/api/v1/accountsByL1Address": accountsByL1Address,
  "/api/v1/liquidations": liquidations,
  "/api/v1/positionFunding": positionFundingRoute,
  "/api/v1/accountActiveOrders": activeOrders,
  "/api/v1/pnl": pnl,
};
