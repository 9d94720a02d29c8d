/**
 * Pure rules of a connection's subscriptions: which view a subscribe message asks for (channel,
 * market, custom tick, anonymous view for plans without attribution) and whether the connection
 * may have it (no duplicate, within the plan's subscription limit). Errors reuse REST codes.
 */
import type { ErrorCode } from "../../lib/errors";
import { formatScaled, parseScaled } from "../../lib/decimal";
import { ATTRIBUTED_KINDS, parseChannel, subscriptionKey, TICKED_KINDS, topicOf, type Tick, type View } from "../topics";
import type { SubscribedFrame, UnsubscribedFrame } from "../protocol";

/** What a connection needs to know about a market to accept a subscription. */
export interface MarketDirectory {
  /** The market's price decimals, or undefined when the venue does not list it. */
  priceDecimals(marketId: number): number | undefined;
}

/** One active subscription of a connection. */
export interface Subscription {
  channel: string;
  topic: string;
  tick: Tick | null;
}

/** A subscription request that was refused. */
export interface Refusal {
  code: ErrorCode;
  message: string;
}

/** What the connection is allowed, from its plan. */
export interface SubscriptionLimits {
  /** null = unlimited. */
  maxSubscriptions: number | null;
  /** false: attributed channels are served as their anonymous view. */
  attribution: boolean;
}

/** The largest custom tick accepted, in price units (far beyond any sensible bucket). */
const MAX_TICK_UNITS = 1e12;

/** Parses a custom tick: a positive multiple of the market's tick; the market's own tick means none. */
export function parseTick(raw: string | number, priceDecimals: number): Tick | null | Refusal {
  const text = typeof raw === "number" ? String(raw) : raw.trim();
  const venueTick = formatScaled(1, priceDecimals);
  const bad = (why: string): Refusal => ({ code: "bad_request", message: `tick_size '${text}' ${why}` });
  const units = parseScaled(text, priceDecimals);
  const fine = parseScaled(text, priceDecimals + 12);
  if (units === null || fine === null) return bad("is not a decimal number");
  if (fine !== units * 10n ** 12n) return bad(`must be a multiple of the market's tick ${venueTick}`);
  if (units <= 0n) return bad("must be positive");
  if (units > BigInt(MAX_TICK_UNITS)) return bad("is too large");
  if (units === 1n) return null;
  return { units: Number(units), text: formatScaled(units, priceDecimals) };
}

const isRefusal = (x: unknown): x is Refusal => typeof x === "object" && x !== null && "code" in x;

/** Resolves a subscribe message to a view, or refuses it. */
export function resolveSubscribe(
  req: { channel: string; tick_size?: string | number },
  current: ReadonlyMap<string, Subscription>,
  limits: SubscriptionLimits,
  markets: MarketDirectory,
): { key: string; subscription: Subscription; view: View; ack: SubscribedFrame } | Refusal {
  const ref = parseChannel(req.channel);
  if (!ref) {
    return { code: "bad_request", message: `unknown channel '${req.channel}': expected {order_book|enriched_order_book|trade|enriched_trade|alert|liquidation_heatmap}/{market_id}` };
  }
  const pd = markets.priceDecimals(ref.marketId);
  if (pd === undefined) return { code: "not_found", message: `market ${ref.marketId} does not exist` };
  let tick: Tick | null = null;
  if (req.tick_size !== undefined) {
    if (!TICKED_KINDS.has(ref.kind)) return { code: "bad_request", message: `tick_size is only accepted on enriched_order_book channels, not '${req.channel}'` };
    const parsed = parseTick(req.tick_size, pd);
    if (isRefusal(parsed)) return parsed;
    tick = parsed;
  }
  const key = subscriptionKey(req.channel, tick);
  if (current.has(key)) return { code: "conflict", message: `already subscribed to '${key}'` };
  if (limits.maxSubscriptions !== null && current.size >= limits.maxSubscriptions) {
    return { code: "forbidden", message: `subscription limit reached: your plan allows ${limits.maxSubscriptions} subscriptions per connection` };
  }
  const anonymous = !limits.attribution && ATTRIBUTED_KINDS.has(ref.kind);
  const view: View = { ...ref, tick, anonymous };
  const topic = topicOf(view);
  const ack: SubscribedFrame = { type: "subscribed", channel: req.channel };
  if (tick) ack.tick_size = tick.text;
  if (anonymous) ack.anonymous = true;
  return { key, subscription: { channel: req.channel, topic, tick }, view, ack };
}

/** Finds the subscription an unsubscribe message names, or refuses it. */
export function resolveUnsubscribe(
  req: { channel: string; tick_size?: string | number },
  current: ReadonlyMap<string, Subscription>,
  markets: MarketDirectory,
): { key: string; subscription: Subscription; ack: UnsubscribedFrame } | Refusal {
  let tick: Tick | null = null;
  const ref = parseChannel(req.channel);
  if (ref && req.tick_size !== undefined) {
    const pd = markets.priceDecimals(ref.marketId);
    const parsed = pd === undefined ? null : parseTick(req.tick_size, pd);
    if (isRefusal(parsed)) return parsed;
    tick = parsed;
  }
  const key = subscriptionKey(req.channel, tick);
  const subscription = current.get(key);
  if (!subscription) return { code: "bad_request", message: `not subscribed to '${key}'` };
  const ack: UnsubscribedFrame = { type: "unsubscribed", channel: req.channel };
  if (tick) ack.tick_size = tick.text;
  return { key, subscription, ack };
}

export { isRefusal };
