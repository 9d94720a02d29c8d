/**
 * Drives the engine in real time: virtual time = injected clock + a fixed offset. Each tick runs the
 * engine up to the present in slices of bounded work, and yields to the event loop whenever a slice
 * budget is spent, so sockets and REST keep being served even when the engine is behind.
 */
import type { Clock } from "../../../lib/clock.ts";
import type { Exchange } from "./engine/exchange.ts";

/** Engine actions per slice; a tick runs slices until its wall budget is spent. */
const SLICE_ACTIONS = 2_000;
const TICK_MS = 10;
const TICK_BUDGET_MS = 25;

/** The real-time loop of a live simulator. */
export class RealtimeDriver {
  private readonly offset: number;
  private timer: unknown;
  private running = false;
  private paused = false;

  constructor(private readonly ex: Exchange, private readonly clock: Clock, private readonly onTick?: () => void) {
    this.offset = ex.now - clock.now();
  }

  /** The virtual time that corresponds to the clock's present. */
  target(): number {
    return this.clock.now() + this.offset;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(TICK_MS);
  }

  stop(): void {
    this.running = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops advancing the engine; on `resume` it catches up with the present. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /**
   * Brings the engine to the present synchronously, with a cap on the work done (REST reads and
   * subscriptions call this so they see the current state).
   */
  sync(maxActions = 5_000): boolean {
    if (this.paused) return true;
    return this.ex.advanceTo(this.target(), maxActions);
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.clock.setTimeout(() => this.tick(), ms);
  }

  private tick(): void {
    if (!this.running) return;
    let caughtUp = true;
    if (!this.paused) {
      const started = performance.now();
      const target = this.target();
      do {
        caughtUp = this.ex.advanceTo(target, SLICE_ACTIONS);
      } while (!caughtUp && performance.now() - started < TICK_BUDGET_MS);
    }
    this.onTick?.();
    // Behind: come back right after the event loop has had its turn; otherwise at the next tick.
    this.schedule(caughtUp ? TICK_MS : 0);
  }
}
