/**
 * Schemas of the orderbook group: the live book, aggregated depth and historical snapshots.
 */
import { t } from "elysia";
import { commonErrors, Envelope, ErrorEnvelope } from "../../envelope";
import { limitQuery, offsetQuery, timeQuery } from "../params";

/** Levels per side returned by default, and at most. The live book keeps 500 per side. */
export const BOOK_DEPTH = { default: 50, max: 500 } as const;
/** Snapshot paging; a range may span at most `maxRangeMs` (snapshots are taken about every second). */
export const SNAPSHOT_LIMITS = { default: 10, max: 100, maxRangeMs: 24 * 3_600_000 } as const;

const Price = (description: string) => t.String({ description: `${description} Decimal string in the market's price precision.` });
const NullablePrice = (description: string) => t.Nullable(Price(description));

export const WireLevel = t.Object({
  price: t.String({ description: "Price, decimal string." }),
  size: t.String({ description: "Resting size in base units, decimal string." }),
});

const depthQuery = (what: string) =>
  t.Integer({ minimum: 1, maximum: BOOK_DEPTH.max, default: BOOK_DEPTH.default, description: `${what} per side (default ${BOOK_DEPTH.default}, max ${BOOK_DEPTH.max}).` });

export const BookQuery = t.Object({ depth: t.Optional(depthQuery("Levels")) });

const touch = {
  best_bid: NullablePrice("Highest bid; null when the side is empty."),
  best_ask: NullablePrice("Lowest ask; null when the side is empty."),
  spread: NullablePrice("best_ask − best_bid."),
  mid: t.Nullable(t.String({ description: "(best_bid + best_ask) / 2 with one extra decimal, so a half-tick mid is exact." })),
};

export const BookData = t.Object({
  market_id: t.Integer(),
  symbol: t.String(),
  bids: t.Array(WireLevel, { description: "Best (highest) first." }),
  asks: t.Array(WireLevel, { description: "Best (lowest) first." }),
  ...touch,
  nonce: t.Integer({ description: "Venue nonce of this book state; increases with every update." }),
  timestamp: t.Integer({ description: "Venue time of this book state, ms epoch." }),
});

export const DepthQuery = t.Object({
  tick_size: t.Optional(
    t.String({ description: "Bucket width as a decimal price, a positive multiple of the market's tick (10^-price_decimals). Default: the market's tick." }),
  ),
  min_price: t.Optional(t.String({ description: "Lowest bucket price to include (inclusive), decimal." })),
  max_price: t.Optional(t.String({ description: "Highest bucket price to include (inclusive), decimal." })),
  pct_from_mid: t.Optional(
    t.Number({ exclusiveMinimum: 0, maximum: 100, description: "Only buckets within ± this percent of the mid. Not combinable with min_price/max_price." }),
  ),
  levels: t.Optional(depthQuery("Aggregated levels")),
});

export const DepthLevel = t.Object({
  price: t.String({ description: "Bucket price: bids floored, asks ceiled to tick_size." }),
  size: t.String({ description: "Σ size of the levels in the bucket, base units." }),
  cumulative_size: t.String({ description: "Σ size from the touch through this bucket." }),
  notional: t.String({ description: "Σ price × size of the levels in the bucket (quote units, exact)." }),
  cumulative_notional: t.String({ description: "Σ notional from the touch through this bucket." }),
});

export const DepthData = t.Object({
  market_id: t.Integer(),
  symbol: t.String(),
  tick_size: t.String(),
  bids: t.Array(DepthLevel, { description: "From the touch outward." }),
  asks: t.Array(DepthLevel, { description: "From the touch outward." }),
  ...touch,
  crossed: t.Boolean({ description: "best_bid ≥ best_ask: a transient venue state, reported rather than hidden." }),
  nonce: t.Integer(),
  timestamp: t.Integer({ description: "Venue time of the book the depth was computed from, ms epoch." }),
});

export const SnapshotQuery = t.Object({
  at: t.Optional(timeQuery("Point mode: the book as of this time (the latest snapshot at or before it).")),
  start: t.Optional(timeQuery("Range mode: first snapshot time, inclusive.")),
  end: t.Optional(timeQuery("Range mode: exclusive end; default now.")),
  limit: t.Optional(limitQuery(SNAPSHOT_LIMITS.default, SNAPSHOT_LIMITS.max, "Snapshots per page (range mode)")),
  offset: t.Optional(offsetQuery()),
  depth: t.Optional(depthQuery("Levels")),
});

export const Snapshot = t.Object({
  timestamp: t.Integer({ description: "When the snapshot was taken, ms epoch." }),
  nonce: t.Integer(),
  bids: t.Array(WireLevel),
  asks: t.Array(WireLevel),
  ...touch,
});

export const SnapshotsData = t.Object({
  market_id: t.Integer(),
  symbol: t.String(),
  mode: t.Union([t.Literal("at"), t.Literal("range")]),
  snapshots: t.Array(Snapshot, { description: "Point mode: exactly one. Range mode: oldest first." }),
});

export const bookResponses = { 200: Envelope(BookData), ...commonErrors, 503: ErrorEnvelope } as const;
export const depthResponses = { 200: Envelope(DepthData), ...commonErrors, 503: ErrorEnvelope } as const;
export const snapshotsResponses = { 200: Envelope(SnapshotsData), ...commonErrors } as const;
