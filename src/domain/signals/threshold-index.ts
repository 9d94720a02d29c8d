/**
 * Every condition on one field (all operators), sorted by threshold key, with two flags per entry:
 * whether it must be re-checked when the field rises through its threshold, and when it falls
 * through it. Only watched conditions are flagged (evaluator.ts says which), each in the direction
 * that can make it true (`Cond.wake`).
 *
 * When the field moves from p to x, a condition can change its truth value only if its threshold
 * lies between them, inclusive: `gt k` flips iff k is in [min, max), `eq`/`ne` iff k is p or x, and
 * a crossing holds iff k is in [p, x) or (x, p]. `range(p, x)` finds those entries by galloping out
 * from a cursor kept at the field's current value (O(log distance)); `collect` then lists the
 * flagged ones for the direction of the move, skipping blocks of 32 entries with none flagged. So
 * an update costs O(log n + watched entries between the two values that can turn true); a
 * disarmed signal costs nothing until it is armed again.
 *
 * Adding or removing a signal splices the sorted list and marks the flat arrays stale; they are
 * rebuilt (O(n)) when next read, so loading thousands of signals rebuilds once.
 */
import type { Cond } from "./eval-signal.ts";

const BLOCK = 5; // log2 of the entries per block

/** `Cond.wake` bits: re-check on a rise, on a fall. */
export const WAKE_UP = 1;
export const WAKE_DOWN = 2;

export class ThresholdIndex {
  private readonly conds: Cond[] = [];
  private keys = new Float64Array(0);
  /** Per entry, the `wake` bits of its condition while watched, else 0. */
  private flags = new Uint8Array(0);
  /** Entries flagged for a rise, for a fall, per block of 32. */
  private blocksUp = new Uint16Array(0);
  private blocksDown = new Uint16Array(0);
  private stale = false;
  /** Entries added since the field's last update: the signal has not seen a value yet, so they are checked in full at the next update. */
  readonly unseen: Cond[] = [];
  /** The last `range`: entries [from, to). */
  from = 0;
  to = 0;
  /** First position whose key is ≥ the field's current value; -1 when unknown. */
  private cursor = -1;
  /**
   * The nearest key flagged for a rise at or above the field's current value, and for a fall at
   * or below it (±Infinity: none; NaN: unknown). A move that stays short of them passes nothing
   * (`passesNothing`), so most updates cost two comparisons.
   */
  private upGuard = Number.NaN;
  private downGuard = Number.NaN;
  /**
   * The nearest flagged key (either direction) at or below the field's current value, and at or
   * above it (±Infinity: none; NaN: unknown; see `walls`). Between them lies no flagged entry, so a
   * run of updates that stays strictly inside walks nothing and the walls stay where they are.
   */
  lowWall = Number.NaN;
  highWall = Number.NaN;

  get size(): number {
    return this.conds.length;
  }

  insert(c: Cond): void {
    const conds = this.conds;
    let lo = 0;
    let hi = conds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (conds[mid]!.key <= c.key) lo = mid + 1;
      else hi = mid;
    }
    conds.splice(lo, 0, c);
    this.unseen.push(c);
    this.stale = true;
  }

  /** Removes `c`; false when it is not there. */
  remove(c: Cond): boolean {
    const conds = this.conds;
    let lo = 0;
    let hi = conds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (conds[mid]!.key < c.key) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < conds.length && conds[i]!.key === c.key; i++) {
      if (conds[i] !== c) continue;
      conds.splice(i, 1);
      this.stale = true;
      return true;
    }
    return false;
  }

  /** Starts or stops watching `c`. */
  watch(c: Cond, on: boolean): void {
    c.watched = on;
    if (this.stale) return; // the rebuild reads every entry's flag
    const i = c.pos;
    const next = on ? c.wake : 0;
    const prev = this.flags[i]!;
    if (prev === next) return;
    this.flags[i] = next;
    this.upGuard = this.downGuard = this.lowWall = this.highWall = Number.NaN;
    this.count(i, prev, -1);
    this.count(i, next, 1);
  }

  private count(i: number, wake: number, d: number): void {
    if (wake & WAKE_UP) this.blocksUp[i >>> BLOCK]! += d;
    if (wake & WAKE_DOWN) this.blocksDown[i >>> BLOCK]! += d;
  }

  /**
   * True when the field's move from `p` to `x` passes no entry flagged for its direction: nothing
   * to walk. (The cursor is then forgotten; `range` finds it again when next needed.)
   */
  passesNothing(p: number, x: number): boolean {
    if (x === p) return true;
    if (this.stale) return false;
    if (x > p) {
      if (Number.isNaN(this.upGuard)) this.upGuard = this.guard(p, true);
      if (x >= this.upGuard) return false;
      this.downGuard = Number.NaN;
    } else {
      if (Number.isNaN(this.downGuard)) this.downGuard = this.guard(p, false);
      if (x <= this.downGuard) return false;
      this.upGuard = Number.NaN;
    }
    this.cursor = -1;
    // Entries flagged for the other direction may lie between: the walls hold only inside them.
    if (!(this.lowWall < x && x < this.highWall)) this.lowWall = this.highWall = Number.NaN;
    return true;
  }

  /** The nearest key ≥ p flagged for a rise (`up`), or ≤ p flagged for a fall; ±Infinity when none. */
  private guard(p: number, up: boolean): number {
    const { flags, keys } = this;
    const n = this.conds.length;
    if (up) {
      const blocks = this.blocksUp;
      let i = this.cursor >= 0 ? this.cursor : this.bound(p, false, 0);
      while (i < n) {
        if (blocks[i >>> BLOCK] === 0) i = ((i >>> BLOCK) + 1) << BLOCK;
        else if ((flags[i]! & WAKE_UP) !== 0) return keys[i]!;
        else i++;
      }
      return Number.POSITIVE_INFINITY;
    }
    const blocks = this.blocksDown;
    let i = this.bound(p, true, this.cursor >= 0 ? this.cursor : 0) - 1;
    while (i >= 0) {
      if (blocks[i >>> BLOCK] === 0) i = ((i >>> BLOCK) << BLOCK) - 1;
      else if ((flags[i]! & WAKE_DOWN) !== 0) return keys[i]!;
      else i--;
    }
    return Number.NEGATIVE_INFINITY;
  }

  /**
   * The field moved from `p` to `x`: sets [from, to) to the entries whose key is between them,
   * inclusive (empty when p = x), and moves the cursor to x.
   */
  range(p: number, x: number): void {
    this.fresh();
    this.upGuard = this.downGuard = this.lowWall = this.highWall = Number.NaN;
    const at = this.cursor >= 0 ? this.cursor : this.bound(p, false, 0);
    if (x > p) {
      this.from = at;
      this.to = this.bound(x, true, at);
      this.cursor = this.bound(x, false, this.to);
    } else if (x < p) {
      this.to = this.bound(p, true, at);
      this.from = this.cursor = this.bound(x, false, at);
    } else {
      this.from = this.to = this.cursor = at;
    }
  }

  /** Appends the entries in [from, to) flagged for a rise (`up`) or a fall to `out`. */
  collect(up: boolean, out: Cond[]): void {
    const { flags, conds } = this;
    const blocks = up ? this.blocksUp : this.blocksDown;
    const bit = up ? WAKE_UP : WAKE_DOWN;
    const to = this.to;
    let i = this.from;
    while (i < to) {
      const b = i >>> BLOCK;
      const end = Math.min(to, (b + 1) << BLOCK);
      if (blocks[b] === 0) {
        i = end;
        continue;
      }
      for (; i < end; i++) if ((flags[i]! & bit) !== 0) out.push(conds[i]!);
    }
  }

  /** The field took its first value (nothing to walk from): the cursor is found when next needed. */
  reset(): void {
    this.cursor = -1;
    this.upGuard = this.downGuard = this.lowWall = this.highWall = Number.NaN;
  }

  /** Computes `lowWall` and `highWall` around the field's current value `p` unless known. */
  walls(p: number): void {
    this.fresh();
    if (!Number.isNaN(this.lowWall)) return;
    const { flags, keys } = this;
    const n = this.conds.length;
    const start = this.cursor >= 0 ? this.cursor : this.bound(p, false, 0);
    let i = start;
    this.highWall = Number.POSITIVE_INFINITY;
    while (i < n) {
      const b = i >>> BLOCK;
      if (this.blocksUp[b] === 0 && this.blocksDown[b] === 0) i = (b + 1) << BLOCK;
      else if (flags[i] !== 0) {
        this.highWall = keys[i]!;
        break;
      } else i++;
    }
    // A flagged entry at the value itself is passed by a move either way.
    this.lowWall = this.highWall === p ? p : Number.NEGATIVE_INFINITY;
    i = this.highWall === p ? -1 : start - 1;
    while (i >= 0) {
      const b = i >>> BLOCK;
      if (this.blocksUp[b] === 0 && this.blocksDown[b] === 0) i = (b << BLOCK) - 1;
      else if (flags[i] !== 0) {
        this.lowWall = keys[i]!;
        break;
      } else i--;
    }
  }

  /**
   * The field moved inside the walls (`walls`, strictly between them) without a walk: nothing lies
   * between the two values, so guards and walls still hold; only the cursor is lost.
   */
  movedInside(): void {
    this.cursor = -1;
  }

  private fresh(): void {
    if (this.stale) this.rebuild();
  }

  private rebuild(): void {
    const conds = this.conds;
    const n = conds.length;
    if (this.keys.length < n || this.keys.length > 4 * n + 64) {
      const cap = Math.max(64, n + (n >>> 1));
      this.keys = new Float64Array(cap);
      this.flags = new Uint8Array(cap);
      this.blocksUp = new Uint16Array((cap >>> BLOCK) + 1);
      this.blocksDown = new Uint16Array((cap >>> BLOCK) + 1);
    } else {
      this.flags.fill(0);
      this.blocksUp.fill(0);
      this.blocksDown.fill(0);
    }
    for (let i = 0; i < n; i++) {
      const c = conds[i]!;
      c.pos = i;
      this.keys[i] = c.key;
      const wake = c.watched ? c.wake : 0;
      this.flags[i] = wake;
      this.count(i, wake, 1);
    }
    this.stale = false;
    this.cursor = -1;
    this.upGuard = this.downGuard = this.lowWall = this.highWall = Number.NaN;
  }

  /**
   * First position whose key is > k (`strict`) or ≥ k, galloping from `hint` in whichever
   * direction the answer lies: O(log |answer − hint|).
   */
  private bound(k: number, strict: boolean, hint: number): number {
    const keys = this.keys;
    const n = this.conds.length;
    let lo: number;
    let hi: number;
    if (hint >= n || (strict ? keys[hint]! > k : keys[hint]! >= k)) {
      hi = hint >= n ? n : hint;
      let i = hi - 1;
      let step = 1;
      while (i >= 0 && (strict ? keys[i]! > k : keys[i]! >= k)) {
        hi = i;
        i -= step;
        step *= 2;
      }
      lo = i + 1 > 0 ? i + 1 : 0;
    } else {
      lo = hint + 1;
      let i = lo;
      let step = 1;
      while (i < n && !(strict ? keys[i]! > k : keys[i]! >= k)) {
        lo = i + 1;
        i += step;
        step *= 2;
      }
      hi = i < n ? i : n;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (strict ? keys[mid]! > k : keys[mid]! >= k) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
