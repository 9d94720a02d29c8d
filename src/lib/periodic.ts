/**
 * A task run every `everyMs` after the previous run finished, never two runs at once: a run asked
 * for while one is under way (a test's "now", the timer) shares that run. A failed run is reported
 * and the schedule goes on.
 */
import type { Clock } from "./clock";

export interface Periodic {
  /** Runs the task now, or joins the run under way. */
  run(): Promise<void>;
  /**
   * Runs it every `everyMs` until `stop()`, the first time at once (`runFirst`, the default) or
   * after one interval; a second start is ignored.
   */
  start(runFirst?: boolean): void;
  stop(): void;
}

export function periodic(o: { clock: Clock; everyMs: number; task: () => Promise<void>; onError: (err: unknown) => void }): Periodic {
  let busy: Promise<void> | undefined;
  let running = false;
  let timer: unknown;
  const run = (): Promise<void> => {
    busy ??= o.task()
      .catch(o.onError)
      .finally(() => void (busy = undefined));
    return busy;
  };
  const arm = () => {
    timer = o.clock.setTimeout(() => {
      if (running) void run().finally(() => running && arm());
    }, o.everyMs);
  };
  return {
    run,
    start(runFirst = true) {
      if (running) return;
      running = true;
      if (runFirst) void run().finally(() => running && arm());
      else arm();
    },
    stop() {
      running = false;
      o.clock.clearTimeout(timer);
    },
  };
}
