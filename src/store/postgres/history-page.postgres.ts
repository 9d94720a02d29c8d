/**
 * The replay page read on PostgreSQL (`MarketDataStore.readHistoryPage`). PostgreSQL builds each
 * half of the page as one text, so the client never decodes rows and columns one by one
 * (postgres.js: a string, then the int8 parser, then a property of a new object — about 2 µs of
 * client CPU per trade). Trades and snapshots go in one statement: one round trip per page.
 *
 * Trades come as one comma-separated list, eight values per row: six integers, is_maker_ask (t/f),
 * then kind (the column's CHECK allows only the plain lowercase labels of TradeKind). Every column
 * is NOT NULL, which matters because concat_ws skips nulls. The query is read with `.raw()`, so the
 * list arrives as the bytes of the message, and `tradeColumns` reads the integers straight from
 * them: decoding the text to a string and JSON.parse-ing it (the earlier form, with brackets and
 * quoted kinds) cost 0.3–0.8 µs of client CPU per trade inside a replay, this under 0.1 µs; the
 * server also does a little less per row (no quoting, no bool cast). Of the server-side encodings
 * tried this one cost least: a json_agg per column took about 1.3× its server time per page, plain
 * rows about the same, the row's text (`t::text`) 1.2×, decimals formatted in SQL (numeric) 1.6×,
 * each trade's whole frame text rendered in SQL about 2× — and on a small host the server's CPU is
 * taken from the sender's. Snapshots (far fewer rows) come as json_agg columns.
 *
 * Also measured and dropped (docs/replay.md, Throughput): COPY … TO STDOUT (FORMAT binary) costs
 * the server no less and the client 2–3× more (one stream chunk per row in postgres.js 3.4, no
 * bind parameters); a covering index for an index-only scan saves about 15% of the trade half for
 * an index twice the primary key's size; one flat string_agg for snapshots made no difference.
 */
import type { HistoryPage, HistoryPageQuery, TradeColumns, TradeKind } from "../ports.ts";
import type { Pool } from "./client.postgres.ts";

/** Reads one page; the rows and order of readTradesAfter + readBookSnapshotsAfter. */
export async function readHistoryPage(sql: Pool, q: HistoryPageQuery): Promise<HistoryPage> {
  // An aggregate over an ordered, limited subquery (no join, no grouping) sees the subquery's
  // order. An ORDER BY inside the aggregate would make that a documented guarantee, but PostgreSQL
  // 15 would sort again, so the order is checked below instead of trusted.
  const rows = await sql`
    SELECT
      (SELECT string_agg(concat_ws(',', ts, trade_id, price, size, ask_account_id, bid_account_id, is_maker_ask, kind), ',')
        FROM (SELECT ts, trade_id, price, size, is_maker_ask, ask_account_id, bid_account_id, kind FROM trades
          WHERE venue = ${q.venue} AND market_id = ${q.marketId} AND ts >= ${q.after.ts} AND ts < ${q.end}
            AND (ts, trade_id) > (${q.after.ts}::int8, ${q.after.id}::int8)
          ORDER BY ts, trade_id LIMIT ${q.tradeLimit}) t),
      (SELECT json_build_array(json_agg(ts), json_agg(nonce), json_agg(bids), json_agg(asks))::text
        FROM (SELECT ts, nonce, bids, asks FROM book_snapshots
          WHERE venue = ${q.venue} AND market_id = ${q.marketId} AND ts > ${q.afterSnapshotTs} AND ts < ${q.end}
          ORDER BY ts LIMIT ${q.snapshotLimit}) s)`.raw();
  // `.raw()`: each value is the bytes of the message (a view, no copy); null stays null.
  const [trades, snapshots] = rows[0] as unknown as [Uint8Array | null, Uint8Array];
  const t = tradeColumns(trades);
  // json_agg of no rows is null, hence `?? []`.
  const s = JSON.parse(Buffer.from(snapshots.buffer, snapshots.byteOffset, snapshots.byteLength).toString("utf8")) as (unknown[] | null)[];
  const col = <T>(i: number) => (s[i] ?? []) as T[];
  const page: HistoryPage = { trades: t, snapshots: { ts: col(0), nonce: col(1), bids: col(2), asks: col(3) } };
  checkOrder("trades", t.ts, t.tradeId);
  checkOrder("book snapshots", page.snapshots.ts, null);
  return page;
}

const COMMA = 44;
const MINUS = 45;
const ZERO = 48;
const TRUE = 116; // 't'
const FALSE = 102; // 'f'
/** Values per row, and the integers leading each, in the statement's order. */
const VALUES = 8;
const INTEGERS = 6;
/** The trade kinds, and their bytes to match a kind in place without making a string of it. */
const KINDS: readonly TradeKind[] = ["trade", "liquidation", "deleverage"];
const KIND_BYTES: readonly Uint8Array[] = KINDS.map((k) => new TextEncoder().encode(k));

/**
 * The error for a trade list not of the expected shape. The loops below `throw` it themselves: a
 * helper that throws, called inside them, made the whole parse about 40% slower.
 */
const badList = (what: string, at: number) => new Error(`readHistoryPage: unexpected ${what} at byte ${at} of the trade list`);

/**
 * Trade columns from the bytes of the comma-separated list (string_agg of no rows is null): per
 * row six integers (ts, trade_id, price, size, ask_account_id, bid_account_id), is_maker_ask as t/f,
 * then kind. Integers are read digit by digit: exact, since every stored integer is a safe integer
 * (the writes refuse anything else). Anything else than that shape is refused, not guessed at.
 *
 * The rows are counted first (one comma between values), so each column is allocated once at its
 * size and filled by index; growing them by push cost more. One flat loop with the position in a
 * local: a helper per value cost about a third more. About 0.08 µs per trade in all.
 */
export function tradeColumns(b: Uint8Array | null): TradeColumns {
  if (b === null) return { ts: [], tradeId: [], price: [], size: [], isMakerAsk: [], askAccountId: [], bidAccountId: [], kind: [] };
  const n = b.length;
  let values = 1;
  for (let i = 0; i < n; i++) if (b[i] === COMMA) values++;
  const rows = values / VALUES;
  if (!Number.isInteger(rows)) throw badList(`value count ${values} (not ${VALUES} per row)`, n);
  const t: TradeColumns = {
    ts: new Array(rows), tradeId: new Array(rows), price: new Array(rows), size: new Array(rows),
    isMakerAsk: new Array(rows), askAccountId: new Array(rows), bidAccountId: new Array(rows), kind: new Array(rows),
  };
  const v = new Float64Array(INTEGERS);
  let at = 0;
  for (let row = 0; row < rows; row++) {
    for (let f = 0; f < INTEGERS; f++) {
      const negative = b[at] === MINUS;
      if (negative) at++;
      const first = at;
      let x = 0;
      for (; at < n; at++) {
        const d = (b[at] as number) - ZERO;
        if (d === COMMA - ZERO) break;
        if (d < 0 || d > 9) throw badList("character", at);
        x = x * 10 + d;
      }
      if (at === first || at === n) throw badList("end of value", at);
      // An int8 past 2^53 would come out rounded: refused like any other surprise.
      if (x > Number.MAX_SAFE_INTEGER) throw badList("integer", first);
      at++;
      v[f] = negative ? -x : x;
    }
    const side = b[at];
    if ((side !== TRUE && side !== FALSE) || b[at + 1] !== COMMA) throw badList("is_maker_ask", at);
    at += 2;
    let kind: TradeKind | null = null;
    for (let k = 0; k < KINDS.length; k++) {
      const bytes = KIND_BYTES[k] as Uint8Array;
      const end = at + bytes.length;
      // Followed by the end, or by a comma and another row.
      if (end > n || (end < n && (b[end] !== COMMA || end + 1 === n))) continue;
      let i = 0;
      while (i < bytes.length && b[at + i] === bytes[i]) i++;
      if (i < bytes.length) continue;
      kind = KINDS[k] as TradeKind;
      at = end + 1;
      break;
    }
    if (kind === null) throw badList("trade kind", at);
    t.ts[row] = v[0] as number, t.tradeId[row] = v[1] as number, t.price[row] = v[2] as number, t.size[row] = v[3] as number;
    t.askAccountId[row] = v[4] as number, t.bidAccountId[row] = v[5] as number, t.isMakerAsk[row] = side === TRUE, t.kind[row] = kind as TradeKind;
  }
  return t;
}

/** Throws unless every row sorts strictly after the one before it, by (ts, id). */
function checkOrder(what: string, ts: readonly number[], id: readonly number[] | null): void {
  for (let i = 1; i < ts.length; i++) {
    const a = ts[i - 1]!;
    const b = ts[i]!;
    if (a < b || (a === b && id !== null && id[i - 1]! < id[i]!)) continue;
    throw new Error(`readHistoryPage: ${what} came back out of order at row ${i}`);
  }
}
