/**
 * Schemas of the liquidations group: liquidation events by time range and the most recent ones.
 */
import { t } from "elysia";
import { DAY_MS } from "../../../domain/time";
import { commonErrors, Envelope } from "../../envelope";
import { limitQuery, marketIdQuery, offsetQuery, timeQuery } from "../params";

/** Paging and the longest range of /liquidations/by-time. */
export const LIQUIDATION_LIMITS = { default: 100, max: 1_000, maxRangeMs: 31 * DAY_MS } as const;

const marketFilter = () => t.Optional(marketIdQuery("Only this market; all markets when absent."));

export const ByTimeQuery = t.Object({
  market_id: marketFilter(),
  start: timeQuery("Inclusive start of the range."),
  end: t.Optional(timeQuery("Exclusive end of the range; default now.")),
  limit: t.Optional(limitQuery(LIQUIDATION_LIMITS.default, LIQUIDATION_LIMITS.max, "Events per page")),
  offset: t.Optional(offsetQuery()),
});

export const RecentQuery = t.Object({
  market_id: marketFilter(),
  limit: t.Optional(limitQuery(LIQUIDATION_LIMITS.default, LIQUIDATION_LIMITS.max, "Events")),
});

export const Liquidation = t.Object({
  id: t.Integer({ description: "The liquidation trade's id (unique per market)." }),
  market_id: t.Integer(),
  symbol: t.String(),
  account_id: t.Integer({ description: "The account whose position was liquidated." }),
  side: t.Union([t.Literal("long"), t.Literal("short")], { description: "Side of the liquidated position." }),
  price: t.String({ description: "Execution price, decimal string." }),
  size: t.String({ description: "Size in base units, decimal string." }),
  notional: t.String({ description: "price × size in quote (USD), exact decimal string." }),
  type: t.Union([t.Literal("liquidation"), t.Literal("deleverage")]),
  timestamp: t.Integer({ description: "Venue time, ms epoch." }),
});

export const LiquidationsData = t.Object({ liquidations: t.Array(Liquidation) });

export const liquidationsResponses = { 200: Envelope(LiquidationsData), ...commonErrors } as const;
