/**
 * One signal inside a market evaluator: its conditions (each an entry of its field's threshold
 * index) and its evaluation state. Opaque outside domain/signals.
 */
import type { CompiledRule } from "./compile.ts";

/** One condition of a signal, as an entry of its field's threshold index. */
export class Cond {
  /** Flagged in its index: an update that can make it true re-checks it (evaluator.ts). */
  watched = false;
  /** Position in its threshold index (maintained by the index). */
  pos = 0;

  constructor(
    readonly s: EvalSignal,
    readonly field: number,
    readonly op: number,
    /** Threshold key (fields.ts). */
    readonly key: number,
    /** The field's version when the signal was added: it sees only later values. */
    readonly start: number,
    /** The direction of a move through the threshold that can make it true (threshold-index.ts WAKE_* bits). */
    readonly wake: number,
  ) {}
}

export class EvalSignal {
  armed = false;
  removed = false;
  readonly conds: Cond[] = [];
  /** AND of two or more conditions (watched one false condition at a time); else any condition fires it. */
  readonly and: boolean;
  /** Distinct fields the signal reads. */
  readonly ufields: Int8Array;
  /** Armed while the rule holds: decided at the next event on one of its fields (ready-lists.ts). */
  inReady = false;
  /** Its position in the ready list of each of `ufields`, while `inReady`. */
  readonly readyAt: Int32Array;
  /** Last event that made it a candidate. */
  touchEpoch = -1;

  constructor(
    readonly id: string,
    readonly rule: CompiledRule,
    /** Per condition: field index, operator index, threshold key (parallel arrays). */
    readonly fields: Int8Array,
    readonly ops: Int8Array,
    readonly keys: Float64Array,
  ) {
    this.and = rule.logic === "AND" && fields.length > 1;
    this.ufields = Int8Array.from(new Set(fields));
    this.readyAt = new Int32Array(this.ufields.length);
  }

  /** Index of field `f` in `ufields`. */
  slotOf(f: number): number {
    return this.ufields.indexOf(f);
  }
}
