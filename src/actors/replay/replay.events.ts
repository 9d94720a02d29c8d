/**
 * What a ReplayActor consumes (client controls forwarded by the /ws/replay gateway, socket flow
 * signals) and emits (frames for the gateway to send). The gateway holds no replay rules.
 */
import type { MarketInfo } from "../../market/live";
import type { ReplayControlFrame } from "../../ws/replay/protocol";
import type { MergedPage, ReadCursor } from "./history";
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

/** What `prepare` resolves: the market (decimals) and how many rows the range holds. */
export interface PreparedReplay {
  market: MarketInfo;
  trades: number;
  snapshots: number;
}

/** Input of the `readPage` actor. */
export interface ReadPageInput {
  market: MarketInfo;
  end: number;
  cursor: ReadCursor;
}

/** Input of the `locate` actor: where a seek to `ts` resumes (latest snapshot in [start, ts], else ts). */
export interface LocateInput {
  market: MarketInfo;
  start: number;
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

export type { MergedPage };
