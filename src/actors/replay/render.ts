/**
 * Replay event frames, pre-rendered. Everything but `replay_ts` is fixed by the stored row, so a
 * frame is rendered once into its "head" — the JSON text up to and including `"replay_ts":` — and
 * the sender appends the wall-clock time and `}`. The same rows therefore give the same bytes.
 *
 * Trades carry the REST /trades/by-time row (formatTrade, shared); snapshots carry the guide's
 * replay shape ([price, size] pairs, best bid/ask, spread) over every stored level, plus the nonce
 * and mid of the REST /orderbook/:id/snapshots row.
 */
import { formatTrade } from "../../http/routes/trades/service";
import { formatUnits } from "../../http/routes/params";
import type { MarketInfo } from "../../market/live";
import type { BookSnapshotRecord, Level, TradeRecord } from "../../store/ports";

/** One event ready to send: its original time and its frame up to `"replay_ts":`. */
export interface ReplayItem {
  ts: number;
  head: string;
}

/** The head of a trade event frame. */
export function renderTrade(r: TradeRecord, m: MarketInfo): ReplayItem {
  const data = JSON.stringify(formatTrade(r, m));
  return { ts: r.ts, head: `{"type":"replay_event","event_type":"trade","data":${data},"ts":${r.ts},"replay_ts":` };
}

/** The `data` of an orderbook_snapshot event. */
export function snapshotData(s: BookSnapshotRecord, m: MarketInfo) {
  const pd = m.priceDecimals;
  const sd = m.sizeDecimals;
  const pairs = (levels: Level[]) => levels.map(([p, q]) => [formatUnits(p, pd), formatUnits(q, sd)] as [string, string]);
  const bb = s.bids.find((l) => l[1] > 0)?.[0];
  const ba = s.asks.find((l) => l[1] > 0)?.[0];
  const both = bb !== undefined && ba !== undefined;
  return {
    market_id: s.marketId,
    nonce: s.nonce,
    bids: pairs(s.bids),
    asks: pairs(s.asks),
    best_bid: bb === undefined ? null : formatUnits(bb, pd),
    best_ask: ba === undefined ? null : formatUnits(ba, pd),
    spread: both ? formatUnits(ba - bb, pd) : null,
    // As REST: one extra decimal keeps a half-tick mid exact.
    mid: both ? formatUnits((bb + ba) * 5, pd + 1) : null,
    timestamp: s.ts,
  };
}

/** The head of an orderbook_snapshot event frame. */
export function renderSnapshot(s: BookSnapshotRecord, m: MarketInfo): ReplayItem {
  const data = JSON.stringify(snapshotData(s, m));
  return { ts: s.ts, head: `{"type":"replay_event","event_type":"orderbook_snapshot","data":${data},"ts":${s.ts},"replay_ts":` };
}

/** The full frame text: the head with its wall-clock send time. */
export const completeFrame = (head: string, replayTs: number): string => `${head}${replayTs}}`;
