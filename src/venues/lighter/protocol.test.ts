import { describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import {
  OrderBookDetailsIn,
  TradesIn,
  Trade,
  TradeIn,
  DetailedAccountsIn,
  channelNumber,
  channels,
  parseChannel,
  toRequestChannel,
  toServerChannel,
  wsValidators,
} from "./protocol.ts";

// Real payloads quoted in reference §B.2 / §C.4 / §C.5 (trimmed where the reference trims).
const realTrade = {
  trade_id: 19211490282, trade_id_str: "19211490282", tx_hash: "000000128ba3", type: "trade", market_id: 0,
  size: "0.0005", price: "2361.31", usd_amount: "1.180655", ask_id: 281476929689557, bid_id: 562947905454831,
  ask_client_id: 0, bid_client_id: 410940644, ask_account_id: 719347, bid_account_id: 281474976639642,
  is_maker_ask: false, block_height: 227557648, timestamp: 1777945103092, taker_position_size_before: "0.6611",
  taker_entry_quote_before: "1556.462172", taker_initial_margin_fraction_before: 200, maker_fee: 28,
  maker_position_size_before: "-76.0264", maker_entry_quote_before: "179127.402288",
  maker_initial_margin_fraction_before: 200, transaction_time: 1777945103092648,
};

describe("protocol schemas", () => {
  test("a real trade (zero-valued fields omitted) is accepted but is not strict", () => {
    expect(Value.Check(TradeIn, realTrade)).toBe(true);
    expect(Value.Check(Trade, realTrade)).toBe(false);
  });

  test("recentTrades with trades: null is accepted", () => {
    expect(Value.Check(TradesIn, { code: 200, trades: null })).toBe(true);
  });

  test("the reference orderBookDetails example is accepted", () => {
    const body = {
      code: 200,
      order_book_details: [{
        symbol: "ETH", market_id: 0, market_type: "perp", status: "active", taker_fee: "0.0000", maker_fee: "0.0000",
        liquidation_fee: "1.0000", min_base_amount: "0.0050", min_quote_amount: "10.000000",
        order_quote_limit: "281474976.710655", supported_size_decimals: 4, supported_price_decimals: 2,
        supported_quote_decimals: 6, size_decimals: 4, price_decimals: 2, quote_multiplier: 1,
        default_initial_margin_fraction: 500, min_initial_margin_fraction: 200, maintenance_margin_fraction: 120,
        closeout_margin_fraction: 80, mark_price: "2361.20", index_price: "2361.45", last_trade_price: 2361.31,
        daily_trades_count: 428074, daily_base_token_volume: 195399.1521, daily_quote_token_volume: 460664167.955905,
        daily_price_low: 2313.36, daily_price_high: 2398, daily_price_change: -0.52, open_interest: 27350.8981,
        daily_chart: {}, market_config: { market_margin_mode: 0, insurance_fund_account_index: 281474976710655,
          liquidation_mode: 0, force_reduce_only: false, trading_hours: "", funding_fee_discounts_enabled: false,
          hidden: false, rfq_enabled: true }, strategy_index: 2, funding_premium_multiplier: 100,
        funding_clamp_small: "0.0500", funding_clamp_big: "4.0000", base_interest_rate: "0.0100",
      }],
      spot_order_book_details: [],
    };
    expect(Value.Check(OrderBookDetailsIn, body)).toBe(true);
  });

  test("the ccxt account capture is accepted", () => {
    const body = {
      code: 200, total: 1, accounts: [{
        code: 0, account_type: 0, index: 1077, account_index: 1077, l1_address: "0x15f4", cancel_all_time: 0,
        total_order_count: 0, total_isolated_order_count: 0, pending_order_count: 0,
        available_balance: "12582.743947", status: 1, collateral: "9100.242706", name: "", description: "",
        can_invite: true, referral_points_percentage: "",
        positions: [{ market_id: 0, symbol: "ETH", initial_margin_fraction: "5.00", open_order_count: 0,
          pending_order_count: 0, position_tied_order_count: 0, sign: 1, position: "18.0193",
          avg_entry_price: "2669.84", position_value: "54306.566340", unrealized_pnl: "6197.829558",
          realized_pnl: "0.000000", liquidation_price: "2191.1107231380406", margin_mode: 0,
          allocated_margin: "0.000000" }],
        assets: [{ symbol: "USDC", asset_id: 3, balance: "0.000000", locked_balance: "0.000000",
          margin_mode: "enabled", margin_balance: "9100.242706" }],
        total_asset_value: "15298.072264", cross_asset_value: "15298.072264",
        cross_initial_margin_requirement: "2715.328317", cross_maintenance_margin_requirement: "651.678796",
        shares: [],
      }],
    };
    expect(Value.Check(DetailedAccountsIn, body)).toBe(true);
  });

  test("book snapshot and delta frames from §C.4 pass the compiled validators", () => {
    const snapshot = { channel: "order_book:0", offset: 2164, last_updated_at: 1778138389655150,
      order_book: { code: 0, asks: [{ price: "2325.00", size: "99.0000" }], bids: [{ price: "2000.00", size: "0.0200" }],
        offset: 2164, nonce: 904845, last_updated_at: 1778138389655150, begin_nonce: 0 },
      timestamp: 1778138582602, type: "subscribed/order_book" };
    const delta = { ...snapshot, type: "update/order_book",
      order_book: { ...snapshot.order_book, nonce: 9182390020, begin_nonce: 9182389998 } };
    expect(wsValidators["subscribed/order_book"].Check(snapshot)).toBe(true);
    expect(wsValidators["update/order_book"].Check(delta)).toBe(true);
    const { begin_nonce: _dropped, ...noBegin } = delta.order_book;
    expect(wsValidators["update/order_book"].Check({ ...delta, order_book: noBegin })).toBe(false);
  });

  test("trade frames accept null, list and map trade lists", () => {
    const base = { channel: "trade:0", type: "update/trade", nonce: 1 };
    expect(wsValidators.trade.Check({ ...base, trades: [realTrade], liquidation_trades: [] })).toBe(true);
    expect(wsValidators.trade.Check({ ...base, trades: null, liquidation_trades: null })).toBe(true);
    expect(wsValidators.trade.Check({ ...base, trades: { "0": [realTrade] } })).toBe(true);
    expect(wsValidators.trade.Check({ ...base, trades: [{ ...realTrade, price: 2361.31 }] })).toBe(false);
  });

  test("market_stats single and all-map frames", () => {
    const stats = { symbol: "BTC", market_id: 1, index_price: "64400.1", mark_price: "64356.3", mid_price: "64349.7",
      last_trade_price: "64351.5", open_interest: "102123609.308856", open_interest_limit: "72057594037927936.000000",
      funding_clamp_small: "0.0500", funding_clamp_big: "4.0000", base_interest_rate: "0.0100", premium: "-0.0187",
      current_funding_rate: "-0.0028", funding_rate: "-0.0005", funding_timestamp: 1780545600001,
      daily_base_token_volume: 23621.29428, daily_quote_token_volume: 1531624159.687143,
      daily_price_low: 61376.4, daily_price_high: 67478.8, daily_price_change: -4.366 };
    const frame = { channel: "market_stats:1", type: "update/market_stats", timestamp: 1780546209291, market_stats: stats };
    expect(wsValidators.market_stats.Check(frame)).toBe(true);
    expect(wsValidators.market_stats.Check({ ...frame, channel: "market_stats:all", market_stats: { "1": stats } })).toBe(true);
  });

  test("flat and nested error frames", () => {
    expect(wsValidators.error.Check({ type: "error", code: 30003, message: "Already Subscribed to : ticker:3" })).toBe(true);
    expect(wsValidators.nestedError.Check({ error: { code: 23001, message: "Too Many Subscriptions" } })).toBe(true);
  });
});

describe("channel names", () => {
  test("request and server spellings convert both ways", () => {
    expect(toServerChannel(channels.orderBook(0))).toBe("order_book:0");
    expect(toRequestChannel("candle:0:1m")).toBe("candle/0/1m");
    expect(channels.marketStats("all")).toBe("market_stats/all");
    expect(parseChannel("account_all:42")).toEqual({ name: "account_all", args: ["42"] });
    expect(parseChannel("height")).toEqual({ name: "height", args: [] });
  });

  test("channelNumber reads the market id without allocating", () => {
    expect(channelNumber("order_book:12", "order_book")).toBe(12);
    expect(channelNumber("order_book/7", "order_book")).toBe(7);
    expect(channelNumber("order_book:all", "order_book")).toBeNull();
    expect(channelNumber("trade:1", "order_book")).toBeNull();
    expect(channelNumber("order_book:", "order_book")).toBeNull();
  });
});
