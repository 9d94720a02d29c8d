/**
 * Firings made during market events, held until just after them (engine.ts hands them to the
 * SignalActors and `onFire` on the next clock turn). Kept in flat arrays that are reused, so making
 * a firing inside a market event allocates nothing: the values of the rule's fields are captured
 * raw and formatted only when the firing is handed over.
 */
import type { EvalSignal, MarketEvaluator, RawValue } from "../domain/signals/evaluator";
import type { SignalField } from "../domain/signals/rule";

/** One firing as handed over. */
export interface QueuedFiring<E> {
  entry: E;
  /** Time of the market event that fired it (ms). */
  ts: number;
  /** The clock's time when it fired. */
  firedAt: number;
  values: Partial<Record<SignalField, string>>;
}

export class FiringQueue<E> {
  private readonly entries: E[] = [];
  private readonly slots: EvalSignal[] = [];
  private readonly evaluators: MarketEvaluator[] = [];
  private readonly ts: number[] = [];
  private readonly firedAt: number[] = [];
  /** Where each firing's captured values start in `values`. */
  private readonly offsets: number[] = [];
  private readonly values: RawValue[] = [];
  private head = 0;

  get size(): number {
    return this.entries.length - this.head;
  }

  push(entry: E, slot: EvalSignal, evaluator: MarketEvaluator, ts: number, firedAt: number): void {
    this.entries.push(entry);
    this.slots.push(slot);
    this.evaluators.push(evaluator);
    this.ts.push(ts);
    this.firedAt.push(firedAt);
    this.offsets.push(this.values.length);
    evaluator.capture(slot, this.values);
  }

  /** Hands the oldest `max` firings to `visit`, in order, and forgets them. */
  take(max: number, visit: (f: QueuedFiring<E>) => void): void {
    const end = Math.min(this.entries.length, this.head + max);
    while (this.head < end) {
      const i = this.head++;
      const values = this.evaluators[i]!.format(this.slots[i]!, this.values, this.offsets[i]!);
      visit({ entry: this.entries[i]!, ts: this.ts[i]!, firedAt: this.firedAt[i]!, values });
    }
    if (this.head === this.entries.length) this.clear();
  }

  private clear(): void {
    this.head = 0;
    this.entries.length = 0;
    this.slots.length = 0;
    this.evaluators.length = 0;
    this.ts.length = 0;
    this.firedAt.length = 0;
    this.offsets.length = 0;
    this.values.length = 0;
  }
}
