/**
 * A market's field values as the evaluator keeps them: per field the current and previous key
 * (see fields.ts), how many times it was updated (its version) and in which event (its epoch), and
 * the exact raw value for payloads. Plus the one definition of what a condition means.
 */
import { FIELD_COUNT } from "./fields.ts";
import { SIGNAL_OPS, type SignalOp } from "./rule.ts";

export const OPS = SIGNAL_OPS.length;
export const OP_INDEX = Object.fromEntries(SIGNAL_OPS.map((o, i) => [o, i])) as Record<SignalOp, number>;
export const { gt: GT, gte: GTE, lt: LT, lte: LTE, eq: EQ, ne: NE, crosses_above: XA, crosses_below: XB } = OP_INDEX;

export const isCrossing = (op: number): boolean => op === XA || op === XB;

export class FieldState {
  readonly keys = new Float64Array(FIELD_COUNT);
  readonly prevKeys = new Float64Array(FIELD_COUNT);
  /** Number of updates of each field so far. */
  readonly versions = new Float64Array(FIELD_COUNT);
  /** Epoch of each field's last update. */
  readonly epochs = new Float64Array(FIELD_COUNT).fill(-1);
  readonly raws: Array<number | bigint | string> = new Array(FIELD_COUNT).fill(0);
  /** The current event's number. */
  epoch = 0;

  set(f: number, key: number, raw: number | bigint | string): void {
    this.prevKeys[f] = this.keys[f]!;
    this.keys[f] = key;
    this.versions[f] = this.versions[f]! + 1;
    this.epochs[f] = this.epoch;
    this.raws[f] = raw;
  }

  updated(f: number): boolean {
    return this.epochs[f] === this.epoch;
  }

  /**
   * Whether condition (field f, op, threshold key k) holds now for a signal that started watching
   * at version `start`: false until the field has changed since; a crossing also needs a previous
   * value seen by the signal and holds only in the event that updated the field.
   */
  holds(f: number, op: number, k: number, start: number): boolean {
    const v = this.versions[f]!;
    if (v <= start) return false;
    const x = this.keys[f]!;
    switch (op) {
      case GT: return x > k;
      case GTE: return x >= k;
      case LT: return x < k;
      case LTE: return x <= k;
      case EQ: return x === k;
      case NE: return x !== k;
      case XA: return this.epochs[f] === this.epoch && v >= start + 2 && this.prevKeys[f]! <= k && k < x;
      default: return this.epochs[f] === this.epoch && v >= start + 2 && this.prevKeys[f]! >= k && k > x;
    }
  }
}
