/**
 * Fault injection on the delivery path (never on the engine, whose state stays the ground truth):
 * dropped, duplicated and reordered order-book deltas, periodic disconnects and stalls (the socket
 * stays open but nothing is sent for a while; the backlog is flushed afterwards, as a stalled TCP
 * stream would). Draws come from their own seeded stream, so a faulty run is reproducible too.
 */
import type { Clock } from "../../../../lib/clock.ts";
import { SimRng } from "../engine/rng.ts";

/** Fault knobs. Percentages are 0–100; 0 / undefined disables a fault. */
export interface FaultOptions {
  /** Share of `update/order_book` frames never sent. */
  dropDeltaPct?: number;
  /** Share sent twice in a row. */
  duplicateDeltaPct?: number;
  /** Share held back and sent after the market's next delta. */
  reorderDeltaPct?: number;
  /** Close every connection this often (abruptly, without a close frame). */
  disconnectEveryMs?: number;
  /** Stop sending for this long (once, from when it is set, or every `stallEveryMs`). */
  stallMs?: number;
  stallEveryMs?: number;
}

/** Counters of what the injector did. */
export interface FaultStats {
  dropped: number;
  duplicated: number;
  reordered: number;
  disconnects: number;
  stalls: number;
}

/** Decides, per order-book delta, what actually goes out; tracks stall windows. */
export class FaultInjector {
  readonly stats: FaultStats = { dropped: 0, duplicated: 0, reordered: 0, disconnects: 0, stalls: 0 };
  private options: FaultOptions = {};
  private readonly rng: SimRng;
  private readonly held = new Map<number, string>();
  private stalledUntil = -Infinity;
  private disconnectTimer: unknown;
  private stallTimer: unknown;
  private flushTimer: unknown;

  constructor(seed: number, private readonly clock: Clock, private readonly hooks: { disconnectAll(): void; flush(): void }) {
    this.rng = new SimRng((seed ^ 0x5f3759df) >>> 0);
  }

  get current(): Readonly<FaultOptions> {
    return this.options;
  }

  /** Replaces the fault settings (merged over the current ones). */
  set(faults: FaultOptions): void {
    const prev = this.options;
    this.options = { ...prev, ...faults };
    if (faults.disconnectEveryMs !== undefined) this.armDisconnect();
    if (faults.stallMs !== undefined || faults.stallEveryMs !== undefined) {
      this.clock.clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
      if (this.options.stallMs) {
        if (this.options.stallEveryMs) this.armStall(this.options.stallEveryMs);
        else this.stall(this.options.stallMs);
      }
    }
  }

  /** Frames to publish for one delta of `marketId` (none, one, two, or a held one released). */
  bookFrames(marketId: number, frame: string): string[] {
    const o = this.options;
    const released = this.held.get(marketId);
    if (released !== undefined) this.held.delete(marketId);
    const out: string[] = [];
    if (o.dropDeltaPct && this.rng.next() * 100 < o.dropDeltaPct) {
      this.stats.dropped++;
    } else if (o.reorderDeltaPct && released === undefined && this.rng.next() * 100 < o.reorderDeltaPct) {
      this.held.set(marketId, frame);
      this.stats.reordered++;
    } else {
      out.push(frame);
      if (o.duplicateDeltaPct && this.rng.next() * 100 < o.duplicateDeltaPct) {
        out.push(frame);
        this.stats.duplicated++;
      }
    }
    if (released !== undefined) out.push(released);
    return out;
  }

  /** Held-back frames whose market went quiet (sent on the next tick rather than never). */
  releaseHeld(): Array<[number, string]> {
    const out = [...this.held.entries()];
    this.held.clear();
    return out;
  }

  /** True while a stall is in effect. */
  stalled(): boolean {
    return this.clock.now() < this.stalledUntil;
  }

  /** Starts a stall of `ms` now; the backlog is flushed when it ends. */
  stall(ms: number): void {
    this.stalledUntil = this.clock.now() + ms;
    this.stats.stalls++;
    this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = this.clock.setTimeout(() => this.hooks.flush(), ms);
  }

  private armStall(every: number): void {
    this.stallTimer = this.clock.setTimeout(() => {
      if (this.options.stallMs) this.stall(this.options.stallMs);
      if (this.options.stallEveryMs) this.armStall(this.options.stallEveryMs);
    }, every);
  }

  private armDisconnect(): void {
    this.clock.clearTimeout(this.disconnectTimer);
    this.disconnectTimer = undefined;
    const every = this.options.disconnectEveryMs;
    if (!every) return;
    this.disconnectTimer = this.clock.setTimeout(() => {
      this.stats.disconnects++;
      this.hooks.disconnectAll();
      this.armDisconnect();
    }, every);
  }

  /** Cancels the injector's timers. */
  dispose(): void {
    this.clock.clearTimeout(this.disconnectTimer);
    this.clock.clearTimeout(this.stallTimer);
    this.clock.clearTimeout(this.flushTimer);
  }
}
