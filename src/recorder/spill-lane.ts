/**
 * The spill lane: moves the oldest buffered batches to the journal, one append at a time, when
 * memory passes its bound (down to half of it, so appends come in large, efficient pieces), or
 * everything when `spillAll` is set. It first steals the batch the store lane is writing: that
 * batch is the oldest of its kind, and journaling it ahead of the rest keeps a failed write from
 * ever landing behind newer journaled rows.
 */
import { toBatch, type LaneState, type Taken } from "./lane-state.ts";
import { RECORD_KINDS } from "./types.ts";

/** Builds the spill lane; `kickStore` wakes the store lane once there is a journal to drain. */
export function createSpillLane(s: LaneState, kickStore: () => void): { kick(): void; overBound(): boolean } {
  const { d } = s;
  const { journal, queues, log } = d;
  let busy = false, kicked = false;
  let backoff = d.retryMinMs;

  const overBound = () => s.memRows() > d.maxRows || s.memBytes() > d.maxBytes;
  const stealable = () => s.inflight !== null && !s.inflight.stolen;

  function take(): Taken[] {
    const out: Taken[] = [];
    if (s.inflight && !s.inflight.stolen) {
      s.inflight.stolen = true;
      out.push(s.inflight);
    }
    const rowsTarget = s.spillAll ? 0 : d.maxRows / 2;
    const bytesTarget = s.spillAll ? 0 : d.maxBytes / 2;
    for (const kind of RECORD_KINDS) {
      while (s.memRows() > rowsTarget || s.memBytes() > bytesTarget) {
        const chunk = queues[kind].take(true);
        if (!chunk) break;
        out.push({ kind, chunk, stolen: true });
      }
    }
    return out;
  }

  async function append(taken: Taken[]): Promise<void> {
    const batches = taken.map(toBatch);
    try {
      await journal.append(batches);
    } catch (err) {
      s.counters.journalErrors += 1;
      s.fail("journal append", err);
      log.error("recorder: journal append failed, rows stay in memory", { err, batches: batches.length });
      for (const kind of RECORD_KINDS) {
        const mine = taken.filter((t) => t.kind === kind).map((t) => t.chunk);
        if (mine.length > 0) queues[kind].restore(mine);
      }
      s.journalWaiting = true;
      s.journalTimer = d.clock.setTimeout(() => {
        s.journalTimer = null;
        s.journalWaiting = false;
        kick();
        s.wake();
      }, backoff);
      backoff = Math.min(backoff * 2, d.retryMaxMs);
      return;
    }
    backoff = d.retryMinMs;
    for (const t of taken) {
      s.settled[t.kind] += t.chunk.rows.length;
      s.counters.rowsJournaled += t.chunk.rows.length;
    }
    try {
      d.onJournaled?.(batches);
    } catch (err) {
      log.warn("recorder: onJournaled hook threw", { err });
    }
  }

  async function run(): Promise<void> {
    kicked = false;
    if (busy) return;
    busy = true;
    try {
      while (!s.journalWaiting && (overBound() || (s.spillAll && (s.memRows() > 0 || stealable())))) {
        const taken = take();
        if (taken.length === 0) break;
        const p = append(taken);
        s.spilling = p;
        s.spillHeld = taken;
        await p;
        s.spilling = null;
        s.spillHeld = [];
        s.wake();
      }
    } finally {
      busy = false;
      s.spillAll = false;
      s.wake();
      kickStore(); // the journal now has records to drain (or the queues their rows back)
    }
  }

  function kick(): void {
    if (busy || kicked) return;
    kicked = true;
    queueMicrotask(() => void run());
  }

  return { kick, overBound };
}
