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
 * Nothing is dropped: the queue is unbounded (it holds at most one loop turn of events) and
 * `flush()` runs what is left when the pipeline stops, before the recorder closes.
 */

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
}

/** Options of {@link createDeferredLane}. */
export interface DeferredLaneOptions {
  /**
   * Runs a callback once the I/O callbacks of this loop turn are done (default `setImmediate`, which
   * fires after every frame of the current socket reads has been handled). Tests inject their own.
   */
  schedule?: (fn: () => void) => void;
  onError(err: unknown): void;
}

/** Creates a lane; nothing runs until the scheduled turn (or `flush`). */
export function createDeferredLane(opts: DeferredLaneOptions): DeferredLane {
  const schedule = opts.schedule ?? ((fn: () => void) => void setImmediate(fn));
  const stats: DeferredLaneStats = { tasks: 0, batches: 0, failures: 0 };
  let queue: Array<() => void> = [];
  let scheduled = false;

  const drain = () => {
    scheduled = false;
    if (queue.length === 0) return;
    stats.batches++;
    // Tasks queued while draining (a batch delivering into another lane user) run in this turn too.
    for (let i = 0; i < queue.length; i++) {
      stats.tasks++;
      try {
        queue[i]!();
      } catch (err) {
        stats.failures++;
        opts.onError(err);
      }
    }
    queue = [];
  };

  const run = (task: () => void) => {
    queue.push(task);
    if (scheduled) return;
    scheduled = true;
    schedule(drain);
  };

  return {
    run,
    batched<T>(deliver: (items: T[]) => void) {
      let items: T[] | null = null;
      return (item: T) => {
        if (items) {
          items.push(item);
          return;
        }
        items = [item];
        run(() => {
          const batch = items!;
          items = null;
          deliver(batch);
        });
      };
    },
    flush: drain,
    stats,
  };
}
