/**
 * What a ReplayActor consumes (client controls forwarded by the /ws/replay gateway, socket flow
 * signals) and emits (frames for the gateway to send), and the inputs and outputs of its effects.
 * The gateway holds no replay rules.
 */
import type { MarketInfo } from "../../market/live";
import type { ReplayControlFrame } from "../../ws/replay/protocol";
import type { MergedPage, ReadState } from "./history";
import type { ResolvedReplay } from "./request";

/** Events a ReplayActor accepts. Times (`ts`) are already parsed to ms; speeds already checked. */
export type ReplayEvent =
  | { type: "replay.start" }
  | { type: "replay.pause" }
  | { type: "replay.resume" }
  | { type: "replay.stop" }
  | { type: "replay.seek"; ts: number }
  | { type: "replay.set_speed"; speed: number }
  /** The socket's send buffer is above the high-water mark: stop delivering. */
  | { type: "socket.blocked" }
  /** The socket drained below the low-water mark: deliver again. */
  | { type: "socket.drained" };

/** Effects for the gateway: a control frame, or event frame heads to complete with `replay_ts` and send in order. */
export type ReplayEmitted = { type: "replay.send"; frame: ReplayControlFrame } | { type: "replay.events"; heads: string[] };

/** One market of a prepared replay: its catalog entry (decimals) and how many rows the range holds. */
export interface PreparedMarket {
  market: MarketInfo;
  trades: number;
  snapshots: number;
  /** The counts are exact (false: extrapolated, see `estimateRows`). */
  exact: boolean;
}

/** What `prepare` resolves: the requested markets (ascending id) and the range's first page, so playback starts with data in hand. */
export interface PreparedReplay {
  markets: PreparedMarket[];
  first: MergedPage;
}

/** What `locate` resolves: where playback resumes, and the first page from there. */
export interface Located {
  position: number;
  first: MergedPage;
}

/** Input of the `readPage` actor: the session's read position and the range's end. */
export interface ReadPageInput {
  end: number;
  state: ReadState;
}

/**
 * Input of the `locate` actor: where a seek to `ts` resumes — the earliest of the markets' latest
 * snapshots in [start, ts] (a market without one counts as `ts`), so every market's book is replayed.
 */
export interface LocateInput {
  markets: MarketInfo[];
  start: number;
  end: number;
  ts: number;
}

/** A ReplayActor's input. */
export interface ReplayInput {
  request: ResolvedReplay;
  /** The injected clock's reading (the same clock the actor's timers run on). */
  now: () => number;
  /** Most events sent per timer firing (bounds the burst handed to the socket at once). */
  batch?: number;
  /** Prefetch when fewer than this many events are buffered. */
  lowWater?: number;
}

/** `replay_started`: the resolved range, row counts per market and in total; `market_id`/`symbol` when there is one market. */
export function startedFrame(request: ResolvedReplay, speed: number, p: PreparedReplay): ReplayControlFrame {
  const trades = p.markets.reduce((n, m) => n + m.trades, 0);
  const snapshots = p.markets.reduce((n, m) => n + m.snapshots, 0);
  const only = p.markets.length === 1 ? p.markets[0] : undefined;
  return {
    type: "replay_started",
    ...(only ? { market_id: only.market.marketId, symbol: only.market.symbol } : {}),
    market_ids: p.markets.map((m) => m.market.marketId),
    markets: p.markets.map((m) => ({ market_id: m.market.marketId, symbol: m.market.symbol, trades: m.trades, orderbook_snapshots: m.snapshots, exact: m.exact })),
    start: request.start,
    end: request.end,
    speed,
    estimated_events: trades + snapshots,
    trades,
    orderbook_snapshots: snapshots,
    exact: p.markets.every((m) => m.exact),
  };
}

export type { MergedPage };
