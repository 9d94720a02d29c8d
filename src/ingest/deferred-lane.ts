/**
 * The ingest node's second lane: work that must happen for every venue event but must not hold up
 * the WebSocket fan-out of the events behind it.
 *
 * The venue feed arrives in bursts (one socket read carries many frames; the venue batches per
 * matching tick), and the frames of a burst are handled one after another on the event loop. Only
 * the hot path runs per frame: parse, validate, MarketActor, stream tap, `server.publish`. Recording,
 * candles, exchange metrics and account tracking are queued here and run once per loop turn,
 * after every frame of the burst has been fanned out. The same work runs, in the same order, a few
 * hundred microseconds later, so a delta at the end of a burst no longer waits for the recorder and
 * the account trackers of the trades ahead of it.
 *
 * Nothing is dropped: the queue is unbounded (it holds about one loop turn of events, more while
 * a backlog is worked off over several turns; `backlog` counts it for /metrics) and
 * `flush()` runs what is left when the pipeline stops, before the recorder closes.
 *
 * The lane holds the loop for at most about `sliceBudgetMs` in one go: past it, what is left runs
 * in the next turn, after the venue frames that arrived meanwhile have been fanned out (a burst's
 * account tracking had held the loop for up to 8 ms, which every delta behind it waited for).
 * Order is kept: tasks run in the order they were queued, whichever turn runs them. A `batched`
 * sink hands over at most `maxBatch` items per call, so one batch is never a long slice itself.
 */
import { atTurnEnd } from "../lib/turn-end";

/** Counters for /metrics. */
export interface DeferredLaneStats {
  /** Tasks run. */
  tasks: number;
  /** Loop turns that ran at least one task. */
  batches: number;
  /** Tasks that threw (reported through `onError`, the others still run). */
  failures: number;
}

/** A queue of work run after the current burst of venue frames. */
export interface DeferredLane {
  /** Queues `task` for the end of this loop turn. */
  run(task: () => void): void;
  /**
   * A sink that collects items for one loop turn and hands them to `deliver` as one array, in
   * arrival order (one call per turn instead of one per item).
   */
  batched<T>(deliver: (items: T[]) => void): (item: T) => void;
  /** Runs everything queued now (pipeline stop, tests). */
  flush(): void;
  readonly stats: DeferredLaneStats;
  /** Tasks queued and not run yet. */
  readonly backlog: number;
}

/** Options of {@link createDeferredLane}. */
export interface DeferredLaneOptions {
  /**
   * Runs a callback once the I/O callbacks of this loop turn are done (default `setImmediate`, which
   * fires after every frame of the current socket reads has been handled). Tests inject their own.
   */
  schedule?: (fn: () => void) => void;
  onError(err: unknown): void;
  /** Longest run of tasks in one go (ms, checked between tasks). Default 1. */
  sliceBudgetMs?: number;
  /** Most items a `batched` sink delivers in one call. Default 256. */
  maxBatch?: number;
  /** Monotonic milliseconds (default `performance.now`; tests inject their own). */
  now?: () => number;
}

/** Creates a lane; nothing runs until the scheduled turn (or `flush`). */
export function createDeferredLane(opts: DeferredLaneOptions): DeferredLane {
  const schedule = opts.schedule ?? atTurnEnd;
  const budgetMs = opts.sliceBudgetMs ?? 1;
  const maxBatch = opts.maxBatch ?? 256;
  const now = opts.now ?? (() => performance.now());
  const stats: DeferredLaneStats = { tasks: 0, batches: 0, failures: 0 };
  let queue: Array<(() => void) | undefined> = [];
  let head = 0;
  let scheduled = false;

  const runNext = () => {
    const task = queue[head]!;
    queue[head++] = undefined;
    stats.tasks++;
    try {
      task();
    } catch (err) {
      stats.failures++;
      opts.onError(err);
    }
  };
  const later = () => {
    scheduled = true;
    schedule(drain);
  };

  // Tasks queued while draining (a batch delivering into another lane user) run in this turn too,
  // budget permitting.
  function drain() {
    scheduled = false;
    if (head >= queue.length) return;
    stats.batches++;
    const deadline = now() + budgetMs;
    while (head < queue.length) {
      runNext();
      if (head < queue.length && now() >= deadline) {
        // Run slots are cleared as they go; the array is compacted only once most of it is spent,
        // so a backlog worked off over many turns is not copied on every one of them.
        if (head > queue.length >> 1) {
          queue = queue.slice(head);
          head = 0;
        }
        if (!scheduled) later();
        return;
      }
    }
    queue = [];
    head = 0;
  }

  const run = (task: () => void) => {
    queue.push(task);
    if (!scheduled) later();
  };

  return {
    run,
    batched<T>(deliver: (items: T[]) => void) {
      let open: T[] | null = null;
      return (item: T) => {
        if (open !== null && open.length < maxBatch) {
          open.push(item);
          return;
        }
        const batch = [item];
        open = batch;
        run(() => {
          if (open === batch) open = null;
          deliver(batch);
        });
      };
    },
    flush() {
      while (head < queue.length) runNext();
      queue = [];
      head = 0;
    },
    stats,
    get backlog() {
      return queue.length - head;
    },
  };
}
