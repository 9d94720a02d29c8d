/**
 * One queue for work that waits until the current event-loop turn's I/O callbacks are done, in two
 * priorities: every `first` callback of a turn runs before every `later` one, whatever order they
 * were queued in. One `setImmediate` (injectable) per turn, shared by both.
 *
 * Why: separate `setImmediate`s run in the order they were scheduled. On an ingest node the
 * deferred lane (account tracking, recorder hand-off; up to about 1 ms a slice) is often scheduled
 * by the first venue frame of a read, before the frame that makes the Redis bridge schedule its
 * cross-node send; with one queue and two priorities the send goes out first.
 *
 * A callback queued by a `first` callback still runs in this turn (a `first` one right after the
 * `first` callbacks before it, a `later` one with the other `later` ones): the venue feed's held
 * trade frames are handled in a `first` callback and queue their own cross-node send and lane
 * work. Callbacks queued while the `later` ones run wait for the next turn. A callback that throws
 * is reported to `onError`; the others still run.
 */
export interface TurnEnd {
  /** Runs `fn` at the end of this turn, before every `later` callback. */
  first(fn: () => void): void;
  /** Runs `fn` at the end of this turn, after every `first` callback. */
  later(fn: () => void): void;
}

/** Runs `fn` once the I/O callbacks of this loop turn are done: the default of every end-of-turn scheduler. */
export const atTurnEnd = (fn: () => void): void => void setImmediate(fn);

export function createTurnEnd(opts: { onError: (err: unknown) => void; schedule?: (fn: () => void) => void }): TurnEnd {
  const schedule = opts.schedule ?? atTurnEnd;
  let firsts: Array<() => void> = [];
  let laters: Array<() => void> = [];
  let armed = false;

  const runAll = (fns: Array<() => void>) => {
    for (const fn of fns) {
      try {
        fn();
      } catch (err) {
        opts.onError(err);
      }
    }
  };
  const run = () => {
    while (firsts.length > 0) {
      const f = firsts;
      firsts = [];
      runAll(f);
    }
    armed = false;
    const l = laters;
    laters = [];
    runAll(l);
  };
  const arm = () => {
    if (armed) return;
    armed = true;
    schedule(run);
  };
  return {
    first(fn) {
      firsts.push(fn);
      arm();
    },
    later(fn) {
      laters.push(fn);
      arm();
    },
  };
}
