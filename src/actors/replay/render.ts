/**
 * Replay event frames, pre-rendered. Everything but `replay_ts` is fixed by the stored row, so a
 * frame is rendered once into its "head" — the JSON text up to and including `"replay_ts":` — and
 * the sender appends the wall-clock time and `}`. The same rows therefore give the same bytes.
 * Invariant the socket adapter relies on: a head ends with `:`, a complete frame with `}`.
 *
 * Trades carry the REST /trades/by-time row (formatTrade's fields, in its order); snapshots carry
 * the guide's replay shape ([price, size] pairs, best bid/ask, spread) over every stored level, plus
 * the nonce and mid of the REST /orderbook/:id/snapshots row. Every frame names its market at the
 * top level, so a multi-market stream can be routed without opening `data`.
 *
 * The hot path (one call per event, up to hundreds of thousands a second) builds the text by
 * concatenating per-market fixed parts with the formatted numbers instead of building an object and
 * calling JSON.stringify; `referenceHead` keeps the straightforward form the tests compare it with.
 */
import { formatTrade } from "../../http/routes/trades/service";
import { formatNotional, formatUnits } from "../../lib/decimal";
import type { MarketInfo } from "../../market/live";
import type { BookSnapshotRecord, Level, TradeRecord } from "../../store/ports";

/** Renders one market's rows into event heads. */
export interface EventRenderer {
  readonly marketId: number;
  trade(r: TradeRecord): string;
  snapshot(s: BookSnapshotRecord): string;
}

/** The `data` of an orderbook_snapshot event (reference shape; the renderer writes the same JSON). */
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

/** The head built with JSON.stringify: the definition the fast renderer must match byte for byte. */
export function referenceHead(kind: "trade" | "orderbook_snapshot", row: TradeRecord | BookSnapshotRecord, m: MarketInfo): string {
  const data = kind === "trade" ? formatTrade(row as TradeRecord, m) : snapshotData(row as BookSnapshotRecord, m);
  return `{"type":"replay_event","event_type":"${kind}","market_id":${row.marketId},"data":${JSON.stringify(data)},"ts":${row.ts},"replay_ts":`;
}

/**
 * Zero-padded fractions, PAD[d][r] = r as d digits ("0042" for 42 at 4), for d = 1..4: made once
 * (about 11,000 short strings), shared by every formatter, never changed.
 */
const PAD: readonly (readonly string[])[] = [0, 1, 2, 3, 4].map((d) => Array.from({ length: d === 0 ? 0 : 10 ** d }, (_, r) => String(10 ** d + r).slice(1)));

/**
 * formatUnits for a fixed number of decimals, for the hot path: a non-negative safe integer is
 * split arithmetically (integer part, then the fraction zero-padded), which allocates fewer strings
 * than cutting its decimal text; anything else goes the shared way. Up to four decimals (price and
 * size precisions) the padded fraction comes from PAD, two strings fewer per number; above, it is
 * 10^d + r without its leading 1 (splitting it into PAD groups measured slower: a bigger rope to
 * flatten). Same text as formatUnits for every input (render.test.ts).
 */
export function unitsFormatter(decimals: number): (value: number) => string {
  if (decimals === 0 || decimals > 15) return (v) => formatUnits(v, decimals);
  const p = 10 ** decimals;
  const pad = decimals <= 4 ? (PAD[decimals] as readonly string[]) : null;
  return (v) => {
    if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v))) return formatUnits(v, decimals);
    let q = Math.floor(v / p);
    let r = v - q * p;
    // The division rounds; the remainder puts the quotient right.
    if (r < 0) (q -= 1), (r += p);
    else if (r >= p) (q += 1), (r -= p);
    return `${q}.${pad === null ? String(p + r).slice(1) : pad[r]}`;
  };
}

/** A trade's side fields, from the price's closing quote to `"ask_account_id":`. */
const BUY = '","side":"buy","is_maker_ask":true,"ask_account_id":';
const SELL = '","side":"sell","is_maker_ask":false,"ask_account_id":';

const firstLive = (levels: Level[]) => {
  for (const l of levels) if (l[1] > 0) return l[0];
  return undefined;
};

/** The fast renderer of one market (decimals fixed per market). */
export function createRenderer(m: MarketInfo): EventRenderer {
  const pd = m.priceDecimals;
  const sd = m.sizeDecimals;
  const nd = pd + sd;
  const price = unitsFormatter(pd);
  const size = unitsFormatter(sd);
  const units = unitsFormatter(nd);
  // The exact bigint route above 2^53, as formatNotional.
  const notional = (p: number, q: number) => {
    const product = p * q;
    return Number.isSafeInteger(product) ? units(product) : formatNotional(p, q, nd);
  };
  // A trade head is concatenated from these fixed parts and the row's texts. JavaScriptCore keeps
  // the result as a rope, which the socket send flattens; fewer, longer parts make a smaller rope,
  // and flattening it was a visible share of a replay's CPU. So the parts fixed per market, per
  // kind and per timestamp (trades cluster within a millisecond) are each made once.
  const tradeOpen = `{"type":"replay_event","event_type":"trade","market_id":${m.marketId},"data":{"trade_id":`;
  const tradePrice = `,"market_id":${m.marketId},"price":"`;
  const kindParts = new Map<string, string>();
  const kindPart = (k: string) => kindParts.get(k) ?? (kindParts.set(k, `,"type":${JSON.stringify(k)},"usd_amount":"`), kindParts.get(k) as string);
  let tailTs = Number.NaN;
  let tail = "";
  const tsTail = (ts: number) => (ts === tailTs ? tail : ((tailTs = ts), (tail = `","timestamp":${ts}},"ts":${ts},"replay_ts":`)));
  const pairs = (levels: Level[]) => {
    let out = "[";
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i] as Level;
      out += `${i === 0 ? "" : ","}["${price(l[0])}","${size(l[1])}"]`;
    }
    return `${out}]`;
  };
  const dec = (v: number | undefined, d: number) => (v === undefined ? "null" : `"${formatUnits(v, d)}"`);
  return {
    marketId: m.marketId,
    trade: (r) => {
      // Another market's row (never what storePageReader sends): the reference form, its own id.
      if (r.marketId !== m.marketId) return referenceHead("trade", r, m);
      return (
        `${tradeOpen}${r.tradeId}${tradePrice}${price(r.price)}","size":"${size(r.size)}` +
        `${r.isMakerAsk ? BUY : SELL}${r.askAccountId},"bid_account_id":${r.bidAccountId}${kindPart(r.kind)}${notional(r.price, r.size)}${tsTail(r.ts)}`
      );
    },
    snapshot: (s) => {
      const bb = firstLive(s.bids);
      const ba = firstLive(s.asks);
      const both = bb !== undefined && ba !== undefined;
      return (
        `{"type":"replay_event","event_type":"orderbook_snapshot","market_id":${s.marketId},"data":{"market_id":${s.marketId},"nonce":${s.nonce},"bids":${pairs(s.bids)},"asks":${pairs(s.asks)},` +
        `"best_bid":${dec(bb, pd)},"best_ask":${dec(ba, pd)},"spread":${both ? dec(ba - bb, pd) : "null"},"mid":${both ? dec((bb + ba) * 5, pd + 1) : "null"},"timestamp":${s.ts}},"ts":${s.ts},"replay_ts":`
      );
    },
  };
}

/** The full frame text: the head with its wall-clock send time. */
export const completeFrame = (head: string, replayTs: number): string => `${head}${replayTs}}`;
