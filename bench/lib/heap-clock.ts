/**
 * A virtual clock for benchmarks with many pending timers (10,000 signal cooldowns): timers in a
 * binary heap, so scheduling and advancing cost O(log n). Same contract as ManualClock: timers
 * fire only when `set` moves time past them, in time order.
 */
import type { Clock } from "../../src/lib/clock";

interface Timer { at: number; seq: number; fn: () => void; cancelled: boolean }

export class HeapClock implements Clock {
  private heap: Timer[] = [];
  private seq = 0;
  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t: Timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(t);
    return t;
  }

  clearTimeout(handle: unknown): void {
    if (handle) (handle as Timer).cancelled = true;
  }

  set(target: number): void {
    while (this.heap.length > 0 && this.heap[0]!.at <= target) {
      const t = this.pop();
      if (t.cancelled) continue;
      this.current = Math.max(this.current, t.at);
      t.fn();
    }
    this.current = Math.max(this.current, target);
  }

  private less = (a: Timer, b: Timer) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Timer {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
