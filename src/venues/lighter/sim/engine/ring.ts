/** A bounded append-only log: keeps the newest `capacity` items, oldest first. */
export class Ring<T> {
  private items: T[] = [];
  private start = 0;

  constructor(readonly capacity: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length - this.start > this.capacity) this.start++;
    // Compact once the dead prefix is as long as the live part: O(1) amortised, at most 2× memory.
    if (this.start >= Math.max(16, this.capacity)) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }

  get size(): number {
    return this.items.length - this.start;
  }

  /** The newest item, if any. */
  last(): T | undefined {
    return this.size > 0 ? this.items[this.items.length - 1] : undefined;
  }

  /** Items newest first, stopping after `limit` matches of `keep`. */
  newest(limit: number, keep: (item: T) => boolean = () => true): T[] {
    const out: T[] = [];
    for (let i = this.items.length - 1; i >= this.start && out.length < limit; i--) {
      const item = this.items[i] as T;
      if (keep(item)) out.push(item);
    }
    return out;
  }

  /** Items oldest first. */
  toArray(): T[] {
    return this.items.slice(this.start);
  }
}
