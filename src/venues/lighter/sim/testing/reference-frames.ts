/**
 * The captured WS frames of the protocol reference (§C.4, §C.5), verbatim. Simulator frames are
 * compared with these field by field (same keys, same JSON types).
 */

/** §C.4 snapshot. */
export const REF_BOOK_SNAPSHOT = {
  channel: "order_book:0", offset: 2164, last_updated_at: 1778138389655150,
  order_book: {
    code: 0, asks: [{ price: "2325.00", size: "99.0000" }, { price: "2341.25", size: "340.1028" }],
    bids: [{ price: "2000.00", size: "0.0200" }], offset: 2164, nonce: 904845,
    last_updated_at: 1778138389655150, begin_nonce: 0,
  },
  timestamp: 1778138582602, type: "subscribed/order_book",
};

/** §C.4 delta. */
export const REF_BOOK_DELTA = {
  channel: "order_book:0", offset: 1558300, last_updated_at: 1774884082309144,
  order_book: {
    code: 0, asks: [{ price: "2064.54", size: "0.3285" }], bids: [{ price: "2064.30", size: "0.0000" }],
    offset: 1558300, nonce: 9182390020, last_updated_at: 1774884082309144, begin_nonce: 9182389998,
  },
  timestamp: 1774884082326, type: "update/order_book",
};

/** §C.5 trade update. */
export const REF_TRADE_UPDATE = {
  channel: "trade:0", type: "update/trade", nonce: 8630448841, liquidation_trades: [],
  trades: [{
    trade_id: 16164557907, trade_id_str: "16164557907", tx_hash: "019f2b9c", type: "trade", market_id: 0,
    size: "0.1336", price: "2181.83", usd_amount: "291.492488", ask_id: 281476612587355, bid_id: 562948334068259,
    ask_client_id: 363283, bid_client_id: 23004521241, ask_account_id: 57890, bid_account_id: 317068,
    is_maker_ask: false, block_height: 198321831, timestamp: 1773854156654, taker_fee: 196, maker_fee: 28,
    transaction_time: 1773854156686065,
  }],
};

/** §C.5 market_stats (one market). */
export const REF_MARKET_STATS = {
  channel: "market_stats:1", type: "update/market_stats", timestamp: 1780546209291,
  market_stats: {
    symbol: "BTC", market_id: 1, index_price: "64400.1", mark_price: "64356.3", mid_price: "64349.7",
    last_trade_price: "64351.5", open_interest: "102123609.308856", open_interest_limit: "72057594037927936.000000",
    funding_clamp_small: "0.0500", funding_clamp_big: "4.0000", base_interest_rate: "0.0100", premium: "-0.0187",
    current_funding_rate: "-0.0028", funding_rate: "-0.0005", funding_timestamp: 1780545600001,
    daily_base_token_volume: 23621.29428, daily_quote_token_volume: 1531624159.687143,
    daily_price_low: 61376.4, daily_price_high: 67478.8, daily_price_change: -4.366,
  },
};

const jsonType = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v;

/**
 * Differences between `actual` and the reference `example`: every key of the example must exist in
 * `actual` with the same JSON type (integers and floats told apart only where the example's value
 * is fractional), recursively; with `exact`, `actual` may not add keys either.
 */
export function shapeDiff(example: unknown, actual: unknown, exact: boolean, path = "$"): string[] {
  const te = jsonType(example);
  const ta = jsonType(actual);
  const numeric = (t: string) => t === "integer" || t === "number";
  if (te !== ta && !(te === "number" && numeric(ta))) return [`${path}: ${ta} where the reference has ${te}`];
  if (te === "array") {
    const e = (example as unknown[])[0];
    return e === undefined ? [] : (actual as unknown[]).flatMap((a, i) => shapeDiff(e, a, exact, `${path}[${i}]`));
  }
  if (te !== "object") return [];
  const eo = example as Record<string, unknown>;
  const ao = actual as Record<string, unknown>;
  const out: string[] = [];
  for (const key of Object.keys(eo)) {
    if (!(key in ao)) out.push(`${path}.${key}: missing`);
    else out.push(...shapeDiff(eo[key], ao[key], exact, `${path}.${key}`));
  }
  if (exact) for (const key of Object.keys(ao)) if (!(key in eo)) out.push(`${path}.${key}: not in the reference`);
  return out;
}
