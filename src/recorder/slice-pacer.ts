/**
 * Keeps the store lane's work in small slices of the event loop. A store call may be synchronous
 * for most of its cost (bun:sqlite runs the whole transaction before its promise exists), and the
 * store lane used to run batch after batch, kind after kind, without ever giving the loop back: at
 * a flush tick that held the WebSocket fan-out for 5–30 ms.
 *
 * The pacer measures the synchronous part of every store call (the time until the call returns its
 * promise; for a networked store that is only query building), learns a cost per row for each kind,
 * and sizes the next call so that it stays within `budgetMs`; before a call it yields one loop turn
 * (`setImmediate`: pending socket reads run first) once the work since the last yield reached a
 * quarter of the budget. A store whose calls do not block (PostgreSQL) keeps full batches and
 * hardly ever yields, so throughput is unchanged there.
 */
import type { RecordKind } from "./types.ts";

/** The share of the budget after which the next store call first yields to the loop. */
const YIELD_SHARE = 0.25;
/**
 * Fewest rows of a call once a kind's cost is known. The cost per row is learned as time ÷ rows, so
 * it includes each call's fixed part (the commit); a call whose fixed part alone filled the budget
 * would otherwise shrink every later call to one row, each with its own commit.
 */
const MIN_ROWS = 16;
/** Weight of a new observation when the cost per row goes down (it goes up at once). */
const EASE = 0.3;

export interface SlicePacerOptions {
  /** Target ceiling for the synchronous part of one store call (ms). */
  budgetMs: number;
  /** High-resolution monotonic time (ms), used only to measure work; not logic time. */
  now: () => number;
  /** Gives the event loop one turn. */
  yieldToLoop: () => Promise<void>;
}

export interface SlicePacer {
  /** Rows of `kind` for the next store call, out of `left` (at least 1). */
  rows(kind: RecordKind, left: number): number;
  /**
   * Starts one store call of `rows` rows of `kind` (`start` must return its promise without
   * awaiting anything first), yielding to the loop before it when due, and learns its cost.
   */
  call<T>(kind: RecordKind, rows: number, start: () => Promise<T>): Promise<T>;
}

/** Creates a pacer; costs are learned per kind, starting from a one-row probe. */
export function createSlicePacer(opts: SlicePacerOptions): SlicePacer {
  const perRow = new Map<RecordKind, number>();
  // Start "spent": the lane is woken from the hot path (a full batch), so its first call waits a turn.
  let spent = opts.budgetMs;

  const learn = (kind: RecordKind, rows: number, ms: number) => {
    const seen = ms / rows;
    const was = perRow.get(kind);
    perRow.set(kind, was === undefined || seen > was ? seen : was + (seen - was) * EASE);
  };

  return {
    rows(kind, left) {
      const cost = perRow.get(kind);
      if (cost === undefined) return Math.min(left, 1);
      return Math.min(left, Math.max(MIN_ROWS, Math.floor(opts.budgetMs / Math.max(cost, 1e-6))));
    },
    async call<T>(kind: RecordKind, rows: number, start: () => Promise<T>): Promise<T> {
      if (spent >= opts.budgetMs * YIELD_SHARE) {
        await opts.yieldToLoop();
        spent = 0;
      }
      const t0 = opts.now();
      let p: Promise<T>;
      try {
        p = start();
      } finally {
        const ms = opts.now() - t0;
        spent += ms;
        learn(kind, rows, ms);
      }
      return p;
    },
  };
}

/** One loop turn: socket reads and timers that are due run before the continuation. */
export const setImmediateYield = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
