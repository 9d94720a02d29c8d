/**
 * The one place topic strings are built. A public channel is `{kind}/{market_id}`, exactly as
 * clients write it (`order_book/0`). A topic is what a socket subscribes to in Bun: the channel
 * itself, or a derived view of it with suffixes in a fixed order, so equal views always get equal
 * strings and share one rendered frame:
 *
 *   enriched_order_book/0               attributed, venue tick
 *   enriched_order_book/0@tick=0.50     re-bucketed at a custom tick (canonical: padded decimals)
 *   enriched_order_book/0@anon          the Free tier's anonymous view
 *   enriched_order_book/0@tick=0.50@anon
 *
 * `@` never occurs in a channel a client may send (the channel grammar below rejects it), so a
 * client cannot subscribe to a view it is not entitled to by naming its topic.
 */

/** Public channel kinds, as the guide lists them. */
export const CHANNEL_KINDS = [
  "order_book",
  "enriched_order_book",
  "trade",
  "enriched_trade",
  "alert",
  "liquidation_heatmap",
] as const;

/** One public channel kind. */
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** Kinds whose frames carry account ids, hence an anonymous view for plans without attribution. */
export const ATTRIBUTED_KINDS: ReadonlySet<ChannelKind> = new Set(["enriched_order_book", "enriched_trade", "alert"]);

/** Kinds that accept a custom tick size in the subscribe message. */
export const TICKED_KINDS: ReadonlySet<ChannelKind> = new Set(["enriched_order_book"]);

/** A parsed public channel. */
export interface ChannelRef {
  kind: ChannelKind;
  marketId: number;
}

/** A custom tick: integer price units (a multiple of the market's tick) and its canonical text. */
export interface Tick {
  units: number;
  text: string;
}

/** What one topic renders: a channel, optionally re-bucketed and/or anonymised. */
export interface View extends ChannelRef {
  /** Custom tick; null = the venue's own price levels. */
  tick: Tick | null;
  /** True: account ids are withheld. */
  anonymous: boolean;
}

const KIND_SET: ReadonlySet<string> = new Set(CHANNEL_KINDS);
const CHANNEL = /^([a-z_]{1,32})\/(0|[1-9]\d{0,5})$/;

/** `order_book/0` from its parts. */
export const channelName = (kind: ChannelKind, marketId: number): string => `${kind}/${marketId}`;

/** Parses a client's channel string; null when it is not `{known kind}/{market id}`. */
export function parseChannel(text: string): ChannelRef | null {
  const m = CHANNEL.exec(text);
  if (!m || !KIND_SET.has(m[1]!)) return null;
  return { kind: m[1] as ChannelKind, marketId: Number(m[2]) };
}

/** The topic of a view. */
export function topicOf(view: View): string {
  let topic = channelName(view.kind, view.marketId);
  if (view.tick) topic += `@tick=${view.tick.text}`;
  if (view.anonymous) topic += "@anon";
  return topic;
}

/** Builders for the base topic of each channel kind (the attributed, venue-tick view). */
export const topics = {
  orderBook: (m: number) => channelName("order_book", m),
  enrichedOrderBook: (m: number) => channelName("enriched_order_book", m),
  trade: (m: number) => channelName("trade", m),
  enrichedTrade: (m: number) => channelName("enriched_trade", m),
  enrichedTradeAnonymous: (m: number) => `${channelName("enriched_trade", m)}@anon`,
  alert: (m: number) => channelName("alert", m),
  alertAnonymous: (m: number) => `${channelName("alert", m)}@anon`,
  liquidationHeatmap: (m: number) => channelName("liquidation_heatmap", m),
} as const;

/** A market's base topics, built once per market (hot paths would otherwise build a string per event). */
export type MarketTopics = { [K in keyof typeof topics]: string };

/** Every base topic of market `m`. */
export const marketTopics = (m: number): MarketTopics =>
  Object.fromEntries(Object.entries(topics).map(([name, build]) => [name, build(m)])) as MarketTopics;

/**
 * The per-connection key of a subscription: channel plus tick, so one connection may hold the same
 * enriched channel at several tick sizes and unsubscribe each on its own.
 */
export const subscriptionKey = (channel: string, tick: Tick | null): string => (tick ? `${channel}@tick=${tick.text}` : channel);
