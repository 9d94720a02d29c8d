/**
 * Wires the store lane and the spill lane around one shared state and gives the recorder the
 * few operations it needs: wake-ups, `settle` (flush/close), `idle`, `stop`, state and stats.
 */
import { createLaneState, type LanesDeps, type Taken } from "./lane-state.ts";
import { createSpillLane } from "./spill-lane.ts";
import { createStoreLane } from "./store-lane.ts";
import { RECORD_KINDS, type RecorderState, type RecordKind } from "./types.ts";

export type { LanesDeps, Row } from "./lane-state.ts";

/** Builds both lanes over `d`'s queues and journal. Nothing runs until something kicks a lane. */
export function createLanes(d: LanesDeps) {
  const s = createLaneState(d);
  const store = createStoreLane(s);
  const spill = createSpillLane(s, store.kick);

  return {
    overBound: spill.overBound,
    kickStore: store.kick,
    kickSpill: spill.kick,
    wake: s.wake,
    /** A due flush tick: partial batches may be written too. */
    flushPartial(): void {
      s.partialDue = true;
      store.kick();
    },
    /** Batches in memory outside the queues: the one being written, and those being spilled. */
    held(): readonly Taken[] {
      return s.inflight && !s.inflight.stolen ? [s.inflight, ...s.spillHeld] : s.spillHeld;
    },
    counters: () => ({ ...s.counters }),
    state(): RecorderState {
      const journaled = d.journal.hasRecords();
      if (s.storeFailing) return journaled ? "spilling" : "degraded";
      return journaled ? "draining" : "ok";
    },
    /**
     * Resolves once `settled` reaches `targets` for every kind: through the store while it
     * answers, through the journal while it fails or once `late()` says the deadline passed.
     */
    async settle(targets: Record<RecordKind, number>, late: (() => boolean) | null): Promise<void> {
      while (!RECORD_KINDS.every((k) => s.settled[k] >= targets[k])) {
        const isLate = late?.() ?? false;
        if (isLate && s.journalWaiting) {
          d.log.error("recorder: giving up with rows neither stored nor journaled", { rows: s.memRows() });
          return;
        }
        if (s.storeFailing || isLate) {
          s.spillAll = true;
          spill.kick();
        } else {
          s.partialDue = true;
          store.kick();
        }
        await s.changed();
      }
    },
    /** Resolves once memory and journal are both empty. */
    async idle(): Promise<void> {
      while (s.memRows() > 0 || s.inflight || s.spilling || d.journal.hasRecords()) {
        s.partialDue = true;
        store.kick();
        await s.changed();
      }
    },
    /** No new store or spill work after this; waits for a spill under way. */
    async stop(): Promise<void> {
      s.stopped = true;
      d.clock.clearTimeout(s.retryTimer);
      d.clock.clearTimeout(s.journalTimer);
      if (s.spilling) await s.spilling;
      s.wake();
    },
  };
}
