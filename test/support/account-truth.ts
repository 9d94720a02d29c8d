/**
 * Tracked accounts against the venue's own view of them: what the service's /api/v1/accounts/batch
 * answers for an account and what the simulator's REST `account` (computed by its engine) says,
 * mapped to the same comparable shape.
 */
export interface VenuePosition { market_id: number; sign: number; position: string; avg_entry_price: string; position_value: string; unrealized_pnl: string; realized_pnl: string; liquidation_price: string }
export interface VenueAccount { index: number; l1_address: string; collateral: string; total_asset_value: string; cross_initial_margin_requirement: string; cross_maintenance_margin_requirement: string; positions: VenuePosition[] }
export interface WirePosition { market_id: number; side: string; size: string; entry_price: string; mark_price: string | null; notional_usd: string; unrealized_pnl: string; realized_pnl: string; liquidation_price: string | null }
export interface WireAccount { account_index: number; status: string; collateral: string | null; total_asset_value: string | null; initial_margin_requirement: string | null; maintenance_margin_requirement: string | null; positions?: WirePosition[]; open_orders?: unknown[] | null; recent_fills?: { trade_id: number; timestamp: number }[]; synced_at: number | null }

/** The venue's own view of an account (its REST API, computed by the engine). */
export async function venueAccount(simUrl: string, id: number): Promise<VenueAccount> {
  const res = await fetch(`${simUrl}/api/v1/account?by=index&value=${id}`);
  return ((await res.json()) as { accounts: VenueAccount[] }).accounts[0]!;
}

/** Margin figures and open positions of our account, comparable with `ofVenue`. */
export const ofOurs = (a: WireAccount) => ({
  id: a.account_index, collateral: a.collateral, tav: a.total_asset_value, imr: a.initial_margin_requirement, mmr: a.maintenance_margin_requirement,
  positions: [...(a.positions ?? [])].sort((x, y) => x.market_id - y.market_id).map((p) => ({
    m: p.market_id, side: p.side, size: p.size, entry: p.entry_price, value: p.notional_usd, upnl: p.unrealized_pnl, realized: p.realized_pnl, liq: p.liquidation_price ?? "0",
  })),
});

/** The venue's figures of the same account, in `ofOurs`'s shape. */
export const ofVenue = (v: VenueAccount) => ({
  id: v.index, collateral: v.collateral, tav: v.total_asset_value, imr: v.cross_initial_margin_requirement, mmr: v.cross_maintenance_margin_requirement,
  positions: v.positions.filter((p) => p.sign !== 0).sort((x, y) => x.market_id - y.market_id).map((p) => ({
    m: p.market_id, side: p.sign > 0 ? "long" : "short", size: p.position, entry: p.avg_entry_price, value: p.position_value, upnl: p.unrealized_pnl, realized: p.realized_pnl, liq: p.liquidation_price,
  })),
});

/** Throws, naming both sides, unless our account equals the venue's (for polling with `until`). */
export async function assertSameAsVenue(simUrl: string, ours: WireAccount): Promise<void> {
  const venue = ofVenue(await venueAccount(simUrl, ours.account_index));
  if (!Bun.deepEquals(ofOurs(ours), venue)) throw new Error(`differs from the venue: ${JSON.stringify({ ours: ofOurs(ours), venue })}`);
}
