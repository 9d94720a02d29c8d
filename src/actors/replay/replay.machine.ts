/**
 * ReplayActor: one per replay session. `idle → loading → active (playing ⇄ paused) → completed |
 * stopped`, with `seeking` between two `active` spells and `failed` when the store fails.
 *
 * `loading` (prepare) and `seeking` (locate) end with the first page read, so the pacing clock only
 * starts with events in hand. `active` is parallel: `feed` reads the next merged page of all the
 * session's markets whenever fewer than `lowWater` events are buffered (prefetch ahead of the
 * pacing clock, never more than lowWater + one page per market held);
 * `play` paces them. An event is due when (ts − anchorTs) / speed has passed since `anchorWall`;
 * the anchor moves on play, resume, seek and set_speed, so pauses are excluded and speed changes
 * keep the position. The named delay NEXT_EVENT targets the head's absolute due time, read from the
 * injected clock, so a late timer never accumulates drift. Each firing sends every due event (at
 * most `batch`). While the socket reports backpressure nothing is sent; the clock keeps running and
 * late events go out on drain. After the last event the session completes at the range's end.
 *
 * Pure apart from reading the injected clock: I/O is the provided `prepare`, `readPage` and `locate`
 * actors, and every effect is an emitted frame.
 */
import { assign, emit, enqueueActions, fromPromise, setup } from "xstate";
import { AppError } from "../../lib/errors";
import type { MarketInfo } from "../../market/live";
import type { ReplayControlFrame } from "../../ws/replay/protocol";
import { readStateAt, type ReadState } from "./history";
import type { ResolvedReplay } from "./request";
import { startedFrame, type Located, type LocateInput, type MergedPage, type PreparedReplay, type ReadPageInput, type ReplayEmitted, type ReplayEvent, type ReplayInput } from "./replay.events";

/** A session's state. `qTs[qi…]` / `qHeads[qi…]` are the buffered events, oldest first. */
export interface ReplayContext {
  request: ResolvedReplay;
  now: () => number;
  batch: number;
  lowWater: number;
  /** The session's markets, ascending id (empty until prepared). */
  markets: MarketInfo[];
  speed: number;
  /** Replay time where playback (re)starts; the position while paused. */
  pos: number;
  anchorTs: number;
  anchorWall: number;
  qTs: number[];
  qHeads: string[];
  qi: number;
  read: ReadState;
  exhausted: boolean;
  sent: number;
  blocked: boolean;
  /** Enter `paused` rather than `playing` when (re)entering `active`. */
  startPaused: boolean;
  seekTo: number;
}

const MAX_TIMER_MS = 3_600_000;
const dueAt = (c: ReplayContext, ts: number) => c.anchorWall + (ts - c.anchorTs) / c.speed;
const positionAt = (c: ReplayContext, now: number) => Math.min(c.request.end, Math.max(c.anchorTs, Math.round(c.anchorTs + (now - c.anchorWall) * c.speed)));
const buffered = (c: ReplayContext) => c.qTs.length - c.qi;
const send = (frame: ReplayControlFrame) => ({ type: "replay.send" as const, frame });
/** The buffer and read position after a fresh page (start or seek). */
const firstPage = (p: MergedPage) => ({ qTs: p.run.ts, qHeads: p.run.heads, qi: 0, read: p.state, exhausted: p.exhausted });
const errorOf = (err: unknown) =>
  err instanceof AppError ? { code: err.code, message: err.message } : { code: "internal_error", message: "replay failed on the server: history could not be read" };

/** The ReplayActor's logic; the gateway provides `prepare`, `readPage` and `locate`. */
export const replayMachine = setup({
  types: { context: {} as ReplayContext, events: {} as ReplayEvent, input: {} as ReplayInput, emitted: {} as ReplayEmitted },
  actors: {
    prepare: fromPromise<PreparedReplay, { request: ResolvedReplay }>(async () => {
      throw new Error("replayMachine: prepare must be provided");
    }),
    readPage: fromPromise<MergedPage, ReadPageInput>(async () => {
      throw new Error("replayMachine: readPage must be provided");
    }),
    locate: fromPromise<Located, LocateInput>(async () => {
      throw new Error("replayMachine: locate must be provided");
    }),
  },
  delays: {
    /** Until the head event is due, or (nothing left) until the range's end is. */
    NEXT_EVENT: ({ context: c }) => {
      const head = c.qTs[c.qi];
      const due = dueAt(c, head ?? c.request.end);
      return Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(due - c.now())));
    },
  },
  guards: {
    finished: ({ context: c }) => c.exhausted && buffered(c) === 0 && c.now() >= dueAt(c, c.request.end),
    starved: ({ context: c }) => !c.exhausted && buffered(c) === 0,
    playable: ({ context: c }) => buffered(c) > 0 || c.exhausted,
    blocked: ({ context: c }) => c.blocked,
    flowing: ({ context: c }) => !c.blocked,
    exhausted: ({ context: c }) => c.exhausted,
    wantsMore: ({ context: c }) => !c.exhausted && buffered(c) < c.lowWater,
    startPaused: ({ context: c }) => c.startPaused,
    seekInRange: ({ context: c, event }) => event.type === "replay.seek" && event.ts >= c.request.start && event.ts < c.request.end,
  },
  actions: {
    anchor: assign(({ context: c }) => ({ anchorTs: c.pos, anchorWall: c.now() })),
    markPosition: assign(({ context: c }) => ({ pos: positionAt(c, c.now()) })),
    setSpeed: assign(({ event, context: c }) => ({ speed: event.type === "replay.set_speed" ? event.speed : c.speed })),
    ackSpeed: emit(({ context: c }) => send({ type: "replay_speed", speed: c.speed })),
    ackPaused: emit(({ context: c }) => send({ type: "replay_paused", position: c.pos })),
    ackResumed: emit(({ context: c }) => send({ type: "replay_resumed", position: c.pos })),
    holdPaused: assign({ startPaused: true }),
    holdPlaying: assign({ startPaused: false }),
    blocked: assign({ blocked: true }),
    drained: assign({ blocked: false }),
    started: enqueueActions(({ context: c, event, enqueue }) => {
      const p = (event as unknown as { output: PreparedReplay }).output;
      enqueue.assign({ markets: p.markets.map((m) => m.market), pos: c.request.start, ...firstPage(p.first) });
      enqueue.emit(send(startedFrame(c.request, c.speed, p)));
      if (c.startPaused) enqueue.emit(send({ type: "replay_paused", position: c.request.start }));
    }),
    append: assign(({ context: c, event }) => {
      const { run, state, exhausted } = (event as unknown as { output: MergedPage }).output;
      const [ts, heads] = c.qi >= c.qTs.length ? [run.ts, run.heads] : [c.qTs.slice(c.qi).concat(run.ts), c.qHeads.slice(c.qi).concat(run.heads)];
      return { qTs: ts, qHeads: heads, qi: 0, read: state, exhausted };
    }),
    deliver: enqueueActions(({ context: c, enqueue }) => {
      // The same due test as NEXT_EVENT (so a firing always delivers its head); no allocation per event.
      const now = c.now();
      const last = Math.min(c.qTs.length, c.qi + c.batch);
      let i = c.qi;
      while (i < last && dueAt(c, c.qTs[i] as number) <= now) i++;
      if (i === c.qi) return;
      enqueue.assign({ qi: i, sent: c.sent + (i - c.qi) });
      enqueue.emit({ type: "replay.events", heads: c.qHeads.slice(c.qi, i) });
    }),
    beginSeek: assign(({ event, context: c }) => ({ seekTo: event.type === "replay.seek" ? event.ts : c.seekTo, qTs: [], qHeads: [], qi: 0 })),
    seeked: enqueueActions(({ context: c, event, enqueue }) => {
      const { position: pos, first } = (event as unknown as { output: Located }).output;
      enqueue.assign({ pos, ...firstPage(first) });
      enqueue.emit(send({ type: "replay_seeked", ts: c.seekTo, position: pos }));
    }),
    refuseSeek: emit(({ context: c, event }) =>
      send({ type: "error", code: "bad_request", message: `seek 'ts' (${event.type === "replay.seek" ? event.ts : "?"}) must be inside the replay range [${c.request.start}, ${c.request.end})` }),
    ),
    notYet: emit(send({ type: "error", code: "conflict", message: "the replay is still loading or seeking: wait for replay_started / replay_seeked before seeking" })),
    reportError: emit(({ event }) => send({ type: "error", ...errorOf((event as unknown as { error: unknown }).error) })),
    complete: emit(({ context: c }) => send({ type: "replay_complete", events_sent: c.sent })),
    ackStopped: emit(({ context: c }) => send({ type: "replay_stopped", events_sent: c.sent })),
  },
}).createMachine({
  id: "replay",
  context: ({ input }) => ({
    request: input.request, now: input.now, batch: input.batch ?? 4_096, lowWater: input.lowWater ?? 16_384, markets: [],
    speed: input.request.speed, pos: input.request.start, anchorTs: input.request.start, anchorWall: 0, qTs: [], qHeads: [], qi: 0,
    read: readStateAt([], input.request.start), exhausted: false, sent: 0, blocked: false, startPaused: false, seekTo: input.request.start,
  }),
  initial: "idle",
  on: { "socket.blocked": { actions: "blocked" }, "socket.drained": { actions: "drained" } },
  states: {
    idle: { on: { "replay.start": { target: "loading" } } },
    // Loading and seeking: controls are remembered and acknowledged; playback starts in their state.
    loading: {
      invoke: {
        src: "prepare",
        input: ({ context }) => ({ request: context.request }),
        onDone: { target: "active", actions: "started" },
        onError: { target: "failed", actions: "reportError" },
      },
      on: {
        "replay.pause": { actions: ["holdPaused", "ackPaused"] },
        "replay.resume": { actions: ["holdPlaying", "ackResumed"] },
        "replay.set_speed": { actions: ["setSpeed", "ackSpeed"] },
        "replay.seek": { actions: "notYet" },
        "replay.stop": { target: "stopped" },
      },
    },
    seeking: {
      invoke: {
        src: "locate",
        input: ({ context: c }) => ({ markets: c.markets, start: c.request.start, end: c.request.end, ts: c.seekTo }),
        onDone: { target: "active", actions: "seeked" },
        onError: { target: "failed", actions: "reportError" },
      },
      on: {
        "replay.pause": { actions: ["holdPaused", "ackPaused"] },
        "replay.resume": { actions: ["holdPlaying", "ackResumed"] },
        "replay.set_speed": { actions: ["setSpeed", "ackSpeed"] },
        "replay.seek": [{ guard: "seekInRange", target: "seeking", reenter: true, actions: "beginSeek" }, { actions: "refuseSeek" }],
        "replay.stop": { target: "stopped" },
      },
    },
    active: {
      type: "parallel",
      on: { "replay.stop": { target: "stopped" } },
      states: {
        feed: {
          initial: "idle",
          states: {
            idle: { always: [{ guard: "exhausted", target: "done" }, { guard: "wantsMore", target: "fetching" }] },
            fetching: {
              invoke: {
                src: "readPage",
                input: ({ context: c }) => ({ end: c.request.end, state: c.read }),
                onDone: { target: "idle", actions: "append" },
                onError: { target: "#replay.failed", actions: "reportError" },
              },
            },
            done: {},
          },
        },
        play: {
          initial: "entering",
          states: {
            entering: { always: [{ guard: "startPaused", target: "paused" }, { target: "playing" }] },
            playing: {
              entry: "anchor",
              initial: "pacing",
              on: {
                "replay.pause": { target: "paused", actions: ["markPosition", "holdPaused", "ackPaused"] },
                "replay.resume": { actions: "ackResumed" },
                "replay.set_speed": { target: "playing", reenter: true, actions: ["markPosition", "setSpeed", "ackSpeed"] },
                "replay.seek": [{ guard: "seekInRange", target: "#replay.seeking", actions: ["holdPlaying", "beginSeek"] }, { actions: "refuseSeek" }],
              },
              states: {
                pacing: {
                  always: [{ guard: "finished", target: "#replay.completed" }, { guard: "blocked", target: "blocked" }, { guard: "starved", target: "starved" }],
                  after: { NEXT_EVENT: { target: "pacing", reenter: true, actions: "deliver" } },
                },
                starved: { always: { guard: "playable", target: "pacing" } },
                blocked: { always: { guard: "flowing", target: "pacing" } },
              },
            },
            paused: {
              on: {
                "replay.pause": { actions: "ackPaused" },
                "replay.resume": { target: "playing", actions: ["holdPlaying", "ackResumed"] },
                "replay.set_speed": { actions: ["setSpeed", "ackSpeed"] },
                "replay.seek": [{ guard: "seekInRange", target: "#replay.seeking", actions: ["holdPaused", "beginSeek"] }, { actions: "refuseSeek" }],
              },
            },
          },
        },
      },
    },
    completed: { type: "final", entry: "complete" },
    stopped: { type: "final", entry: "ackStopped" },
    failed: { type: "final" },
  },
});

/** The machine's type, for `Actor<ReplayMachine>`. */
export type ReplayMachine = typeof replayMachine;
