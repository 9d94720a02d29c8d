/**
 * Time is a port. Production code uses `systemClock`; tests use `ManualClock` and advance it.
 * The shape is a superset of XState v5's `Clock`, so one object can drive machines and services.
 */
export interface Clock {
  /** Milliseconds since the UNIX epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface PendingTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** A deterministic clock for tests: timers fire only when `advance` or `set` moves time past them. */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: PendingTimer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): number {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Moves time forward, firing due timers in time order (timers scheduled by timers included). */
  advance(ms: number): void {
    this.set(this.current + ms);
  }

  set(target: number): void {
    for (;;) {
      const due = this.timers
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = Math.max(this.current, target);
  }

  /** Number of timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }
}
