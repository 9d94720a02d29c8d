/**
 * order_book/{m} frames in the guide's `order_book_update` shape: a snapshot (`snapshot: true`,
 * the full book best first, `begin_nonce` = `nonce`) or a delta (absolute sizes, "0" deletes,
 * `begin_nonce` = the previous frame's nonce). Rendered once per event per topic, never per socket.
 */
import { formatUnits } from "../../lib/decimal";
import type { OrderBookUpdateFrame } from "../protocol";
import type { StreamEvent } from "./events";
import type { MarketMirror } from "./market-mirror";

type WireLevel = { price: string; size: string };

const level = (price: number, size: number, pd: number, sd: number): WireLevel => ({
  price: formatUnits(price, pd),
  size: size === 0 ? "0" : formatUnits(size, sd),
});

/** The mirror's whole book as a snapshot frame. */
export function orderBookSnapshotFrame(channel: string, mirror: MarketMirror, now: number): string {
  const { pd, sd } = mirror;
  const side = (s: "bid" | "ask") => mirror.book.levels(s).map((l) => level(l.price, l.size, pd, sd));
  const frame: OrderBookUpdateFrame = {
    type: "order_book_update",
    channel,
    order_book: { code: 0, snapshot: true, asks: side("ask"), bids: side("bid"), begin_nonce: mirror.nonce, nonce: mirror.nonce, timestamp: mirror.ts },
    timestamp: now,
  };
  return JSON.stringify(frame);
}

/**
 * One delta as a frame: the text `JSON.stringify` gives for the `OrderBookUpdateFrame` (render-book
 * test), concatenated directly. This runs once per venue delta on the hot path, where building the
 * frame object and serializing it cost about as much as the rest of the fan-out.
 */
export function orderBookDeltaFrame(channel: string, e: Extract<StreamEvent, { type: "book.delta" }>, now: number): string {
  let asks = "";
  let bids = "";
  for (const c of e.changes) {
    const text = `{"price":"${formatUnits(c.price, e.pd)}","size":"${c.size === 0 ? "0" : formatUnits(c.size, e.sd)}"}`;
    if (c.side === "ask") asks = asks === "" ? text : `${asks},${text}`;
    else bids = bids === "" ? text : `${bids},${text}`;
  }
  return (
    `{"type":"order_book_update","channel":${JSON.stringify(channel)},"order_book":{"code":0,"snapshot":false,"asks":[${asks}],"bids":[${bids}],` +
    `"begin_nonce":${e.beginNonce},"nonce":${e.nonce},"timestamp":${e.ts}},"timestamp":${now}}`
  );
}
