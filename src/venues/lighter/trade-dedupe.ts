/**
 * Emits each trade id once per market with bounded memory.
 *
 * The venue re-sends recent trades in every `subscribed/trade` frame (so after each reconnect) and
 * REST backfill overlaps the stream, so duplicates are routine. The owner keeps a **floor**: every
 * id at or below it has already been emitted (the trade flow's `completeId`), so only ids above
 * the floor are remembered, and they are forgotten as the floor advances. In steady state that is
 * a handful of ids; while a reconnect gap is open it is what arrived since. `capacity` bounds the
 * worst case: past it, the oldest remembered id is dropped and the floor rises to it, i.e. a
 * never-seen trade older than that would be taken for a duplicate — only after `capacity` trades
 * of one market arrived while a gap stayed open.
 */
export class TradeDeduper {
  /** Ids above the floor, in insertion order (mostly ascending). */
  private readonly seen = new Set<number>();
  private floorValue = -1;
  private highest = -1;

  constructor(readonly capacity = 65_536) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be a positive integer");
  }

  /** Ids at or below this are treated as seen. */
  get floor(): number {
    return this.floorValue;
  }

  /** The highest id admitted so far (-1 before any). */
  get highestId(): number {
    return this.highest;
  }

  /** Ids currently remembered above the floor. */
  get size(): number {
    return this.seen.size;
  }

  /** True if `id` has been admitted or is at/below the floor. */
  has(id: number): boolean {
    return id <= this.floorValue || this.seen.has(id);
  }

  /** Admits `id` and returns true the first time; false for a duplicate. */
  admit(id: number): boolean {
    if (this.has(id)) return false;
    this.seen.add(id);
    if (id > this.highest) this.highest = id;
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next().value as number;
      this.seen.delete(oldest);
      if (oldest > this.floorValue) this.floorValue = oldest;
    }
    return true;
  }

  /** Every id ≤ `floor` now counts as seen; remembered ids below it are forgotten. */
  advanceFloor(floor: number): void {
    if (floor <= this.floorValue) return;
    this.floorValue = floor;
    // Insertion order is ascending in steady state, so this stops at the first newer id; an older
    // id left behind by an out-of-order insert is still correct, and goes on a later pass.
    for (const id of this.seen) {
      if (id > floor) break;
      this.seen.delete(id);
    }
  }
}
