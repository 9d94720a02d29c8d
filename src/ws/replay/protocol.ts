/**
 * Every frame of /ws/replay (docs/replay.md), defined once with TypeBox. Client frames are checked
 * with a compiled validator; server control frames are built from these static types. Event frames
 * (`replay_event`) are pre-rendered text (see actors/replay/render.ts) and follow ReplayEventFrame.
 */
import { Type as T, type Static } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { AuthFrame, ClientPingFrame, ErrorFrame } from "../protocol";

const Time = T.Union([T.String({ maxLength: 64 }), T.Integer()], { description: "ms since the epoch, ISO-8601 or a bare date (YYYY-MM-DD = 00:00 UTC)" });
const Ms = T.Integer({ description: "ms since the epoch" });
const Dec = T.String({ description: "decimal string" });

/**
 * Start a replay: `{"type":"replay","market_id":0,"start":"2026-01-01","end"?:…,"speed"?:10}`, or
 * several markets merged by time with `"market_ids":[0,1]` instead of `market_id`.
 */
export const ReplayFrame = T.Object({
  type: T.Literal("replay"),
  market_id: T.Optional(T.Integer({ minimum: 0 })),
  /** Several markets in one time-ordered stream (distinct; the cap is REPLAY_MAX_MARKETS). */
  market_ids: T.Optional(T.Array(T.Integer({ minimum: 0 }), { maxItems: 1_000 })),
  start: Time,
  end: T.Optional(Time),
  /** 0.1 to 100; default 1. */
  speed: T.Optional(T.Number()),
});
/** Pause playback (the pacing clock stops). */
export const PauseFrame = T.Object({ type: T.Literal("pause") });
/** Resume playback where it paused. */
export const ResumeFrame = T.Object({ type: T.Literal("resume") });
/** End the session; a new `replay` may follow. */
export const StopFrame = T.Object({ type: T.Literal("stop") });
/** Jump to `ts`: playback restarts at the latest snapshot at or before it (inside the range). */
export const SeekFrame = T.Object({ type: T.Literal("seek"), ts: Time });
/** Change the speed mid-replay (0.1 to 100). */
export const SetSpeedFrame = T.Object({ type: T.Literal("set_speed"), speed: T.Number() });

/** Any frame a replay client may send. */
export const ReplayClientFrame = T.Union([AuthFrame, ClientPingFrame, ReplayFrame, PauseFrame, ResumeFrame, StopFrame, SeekFrame, SetSpeedFrame]);
export type ReplayClientFrame = Static<typeof ReplayClientFrame>;
export type ReplayRequestFrame = Static<typeof ReplayFrame>;

const check = TypeCompiler.Compile(ReplayClientFrame);
const TYPES = ["auth", "ping", "replay", "pause", "resume", "stop", "seek", "set_speed"];

/** Validates a parsed message; a string saying what is wrong when it is not a replay client frame. */
export function parseReplayFrame(message: unknown): ReplayClientFrame | string {
  if (check.Check(message)) return message;
  if (typeof message === "string") return "malformed message: expected a JSON object";
  if (message instanceof Uint8Array) return "binary messages are not accepted: send JSON text frames";
  const type = typeof message === "object" && message !== null ? (message as { type?: unknown }).type : undefined;
  if (typeof type !== "string") return 'malformed message: expected a JSON object with a "type"';
  if (!TYPES.includes(type)) return `unknown message type '${type}'`;
  return `invalid '${type}' message: see docs/replay.md for its fields`;
}

// ---------------------------------------------------------------- server frames

/** Answer to a valid auth on /ws/replay. */
export const ReplayAuthenticatedFrame = T.Object({
  type: T.Literal("authenticated"),
  tier: T.String(),
  connection_id: T.String(),
  /** Longest replay range in days; null = unlimited. */
  max_replay_window_days: T.Union([T.Integer(), T.Null()]),
  /** Replays the account may run at once; null = unlimited. */
  max_concurrent_replays: T.Union([T.Integer(), T.Null()]),
});
/** The replay was accepted: the resolved range [start, end), its markets and how many events it holds. */
export const ReplayStartedFrame = T.Object({
  type: T.Literal("replay_started"),
  /** Present when the replay has one market. */
  market_id: T.Optional(T.Integer()),
  symbol: T.Optional(T.String()),
  market_ids: T.Array(T.Integer()),
  /** Rows per market; `exact` false: more than the counting cap, so the counts are extrapolated. */
  markets: T.Array(T.Object({ market_id: T.Integer(), symbol: T.String(), trades: T.Integer(), orderbook_snapshots: T.Integer(), exact: T.Boolean() })),
  start: Ms,
  end: Ms,
  speed: T.Number(),
  estimated_events: T.Integer(),
  trades: T.Integer(),
  orderbook_snapshots: T.Integer(),
  /** Every count above is exact (each market's `exact`). */
  exact: T.Boolean(),
});
export const ReplayPausedFrame = T.Object({ type: T.Literal("replay_paused"), position: Ms });
export const ReplayResumedFrame = T.Object({ type: T.Literal("replay_resumed"), position: Ms });
export const ReplayStoppedFrame = T.Object({ type: T.Literal("replay_stopped"), events_sent: T.Integer() });
export const ReplayCompleteFrame = T.Object({ type: T.Literal("replay_complete"), events_sent: T.Integer() });
/** Seek done: playback continues from `position` (the snapshot at or before `ts`, or `ts`). */
export const ReplaySeekedFrame = T.Object({ type: T.Literal("replay_seeked"), ts: Ms, position: Ms });
export const ReplaySpeedFrame = T.Object({ type: T.Literal("replay_speed"), speed: T.Number() });
/** Answer to a client ping. */
export const ReplayPongFrame = T.Object({ type: T.Literal("pong"), timestamp: Ms });

const Pair = T.Tuple([Dec, Dec]);
/** A trade: the REST /trades/by-time row. */
export const ReplayTradeData = T.Object({
  trade_id: T.Integer(), market_id: T.Integer(), price: Dec, size: Dec, side: T.Union([T.Literal("buy"), T.Literal("sell")]),
  is_maker_ask: T.Boolean(), ask_account_id: T.Integer(), bid_account_id: T.Integer(), type: T.String(), usd_amount: Dec, timestamp: Ms,
});
/** A stored book snapshot in the guide's replay shape (every stored level, [price, size] pairs). */
export const ReplaySnapshotData = T.Object({
  market_id: T.Integer(), nonce: T.Integer(), bids: T.Array(Pair), asks: T.Array(Pair),
  best_bid: T.Union([Dec, T.Null()]), best_ask: T.Union([Dec, T.Null()]), spread: T.Union([Dec, T.Null()]), mid: T.Union([Dec, T.Null()]), timestamp: Ms,
});
/** One replayed event of market `market_id`: original `ts`, wall-clock send time `replay_ts`. */
export const ReplayEventFrame = T.Union([
  T.Object({ type: T.Literal("replay_event"), event_type: T.Literal("orderbook_snapshot"), market_id: T.Integer(), data: ReplaySnapshotData, ts: Ms, replay_ts: Ms }),
  T.Object({ type: T.Literal("replay_event"), event_type: T.Literal("trade"), market_id: T.Integer(), data: ReplayTradeData, ts: Ms, replay_ts: Ms }),
]);

/** Control frames the session and gateway send. */
export type ReplayControlFrame =
  | Static<typeof ReplayAuthenticatedFrame>
  | Static<typeof ReplayStartedFrame>
  | Static<typeof ReplayPausedFrame>
  | Static<typeof ReplayResumedFrame>
  | Static<typeof ReplayStoppedFrame>
  | Static<typeof ReplayCompleteFrame>
  | Static<typeof ReplaySeekedFrame>
  | Static<typeof ReplaySpeedFrame>
  | Static<typeof ReplayPongFrame>
  | Static<typeof ErrorFrame>;

/** Every frame /ws/replay sends, for docs and for tests that check real frames. */
export const ReplayServerFrame = T.Union([
  ReplayAuthenticatedFrame, ReplayStartedFrame, ReplayPausedFrame, ReplayResumedFrame, ReplayStoppedFrame, ReplayCompleteFrame,
  ReplaySeekedFrame, ReplaySpeedFrame, ReplayPongFrame, ErrorFrame, ReplayEventFrame,
]);
