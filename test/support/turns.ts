/**
 * An end-of-turn scheduler the test drives, for code that takes a `schedule` option in place of
 * `setImmediate` (the deferred lane, the turn-end queue): `schedule` queues a callback, `turn()`
 * runs what is queued, as the end of an event-loop turn would; `errors` collects what `onError` got.
 */
export function manualTurns() {
  const scheduled: Array<() => void> = [];
  const errors: unknown[] = [];
  return {
    scheduled,
    errors,
    schedule: (fn: () => void) => void scheduled.push(fn),
    onError: (err: unknown) => void errors.push(err),
    turn: () => {
      for (const fn of scheduled.splice(0)) fn();
    },
  };
}
