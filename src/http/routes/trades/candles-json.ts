/**
 * JSON bytes of the /candles `data` object (see the CandlesData schema), written straight into a
 * byte buffer: 10,000 bars through objects and JSON.stringify would cost more than reading them.
 * VWAP is quote / volume rounded half-up at VWAP_EXTRA_DECIMALS more places, in floats only while
 * exact.
 */
import { vwapScaled, VWAP_EXTRA_DECIMALS } from "../../../domain/trade-aggregate";
import { JsonBytes } from "../../../lib/json-bytes";
import type { MarketInfo } from "../../../market/live";
import type { CandleRecord } from "../../../store/ports";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const CANDLE_KEYS = ["open_time", "open", "high", "low", "close", "volume", "quote_volume", "buy_volume", "trades", "vwap"] as const;
/** `{"open_time":`, `,"open":`, …: the constant bytes between a candle's values. */
const KEY: Readonly<Record<(typeof CANDLE_KEYS)[number], Uint8Array>> = Object.fromEntries(
  CANDLE_KEYS.map((k, i) => [k, utf8(`${i === 0 ? "{" : ","}"${k}":`)]),
) as Record<(typeof CANDLE_KEYS)[number], Uint8Array>;

/** `{"market_id":…,"symbol":…,"resolution":…,"candles":[`: everything before the first bar. */
export function candlesHead(m: MarketInfo, resolution: string): Uint8Array {
  return utf8(`{"market_id":${m.marketId},"symbol":${JSON.stringify(m.symbol)},"resolution":${JSON.stringify(resolution)},"candles":[`);
}

/** `]}`: everything after the last bar. */
export const CANDLES_TAIL: Uint8Array = utf8("]}");

/**
 * rows[from, to) as comma-separated JSON objects (no brackets), with the offset where each row
 * starts (row i ends one byte before row i+1 starts, or at the end).
 */
export function encodeCandleRows(m: MarketInfo, rows: readonly CandleRecord[], from = 0, to = rows.length): { bytes: Uint8Array; starts: Uint32Array } {
  const pd = m.priceDecimals;
  const sd = m.sizeDecimals;
  const out = new JsonBytes(64 + (to - from) * 240);
  const starts = new Uint32Array(to - from);
  for (let i = from; i < to; i++) {
    const c = rows[i] as CandleRecord;
    if (i > from) out.text(",");
    starts[i - from] = out.bytes().length;
    out.raw(KEY.open_time);
    out.int(c.openTime);
    out.raw(KEY.open);
    out.fixed(c.open, pd);
    out.raw(KEY.high);
    out.fixed(c.high, pd);
    out.raw(KEY.low);
    out.fixed(c.low, pd);
    out.raw(KEY.close);
    out.fixed(c.close, pd);
    out.raw(KEY.volume);
    out.fixed(c.volume, sd);
    out.raw(KEY.quote_volume);
    out.fixedBig(c.quoteVolume, pd + sd);
    out.raw(KEY.buy_volume);
    out.fixed(c.buyVolume, sd);
    out.raw(KEY.trades);
    out.int(c.tradeCount);
    out.raw(KEY.vwap);
    writeVwap(out, c.quoteVolume, c.volume, pd);
    out.text("}");
  }
  return { bytes: out.bytes(), starts };
}

/** The whole `data` object of /candles as JSON bytes, encoded in one pass (no cache). */
export function encodeCandlesData(m: MarketInfo, resolution: string, rows: readonly CandleRecord[]): Uint8Array {
  const head = candlesHead(m, resolution);
  const body = encodeCandleRows(m, rows).bytes;
  const out = new Uint8Array(head.length + body.length + CANDLES_TAIL.length);
  out.set(head);
  out.set(body, head.length);
  out.set(CANDLES_TAIL, head.length + body.length);
  return out;
}

const VWAP_SCALE = 10 ** VWAP_EXTRA_DECIMALS;

function writeVwap(out: JsonBytes, quote: bigint, volume: number, pd: number): void {
  if (volume === 0) return out.text("null");
  // Half-up: floor((2·quote·scale + volume) / (2·volume)), exact while the numerator is a safe integer.
  const q = Number(quote);
  const num = 2 * q * VWAP_SCALE + volume;
  if (Number.isSafeInteger(q) && Number.isSafeInteger(num)) {
    out.fixed(out.floorDiv(num, 2 * volume), pd + VWAP_EXTRA_DECIMALS);
  } else {
    out.fixedBig(vwapScaled(quote, volume) ?? 0n, pd + VWAP_EXTRA_DECIMALS);
  }
}
