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
  // Bumped by every start and stop: a run that ends after a stop (and maybe a new start) must not
  // arm a second timer beside the new schedule's.
  let generation = 0;
  let running = false;
  let timer: unknown;
  const run = (): Promise<void> => {
    busy ??= o.task()
      .catch(o.onError)
      .finally(() => void (busy = undefined));
    return busy;
  };
  const runThenArm = (g: number) => void run().finally(() => arm(g));
  const arm = (g: number) => {
    if (g !== generation) return;
    timer = o.clock.setTimeout(() => g === generation && runThenArm(g), o.everyMs);
  };
  return {
    run,
    start(runFirst = true) {
      if (running) return;
      running = true;
      const g = ++generation;
      if (runFirst) runThenArm(g);
      else arm(g);
    },
    stop() {
      running = false;
      generation++;
      o.clock.clearTimeout(timer);
    },
  };
}
