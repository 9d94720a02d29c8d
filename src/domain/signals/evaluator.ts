/**
 * The rule evaluator of one market: the market's field values and the signals that watch them.
 * The same code runs live (fed by the engine from MarketActor events) and in backtests (fed from
 * stored history); it knows nothing of time, actors or delivery.
 *
 * Semantics:
 * - Each event updates some fields (a trade: price, size, notional; a book change: spread and,
 *   when computed, depth; a settlement: funding; a heatmap: both at-risk fields). A rule is decided
 *   only at events that update one of its fields.
 * - A signal sees the values its market takes from the moment it is added. A condition on a field
 *   it has not seen yet is false. Under AND, fields the event did not update keep their last value.
 * - `crosses_above` holds when previous ≤ value < current, `crosses_below` when previous ≥ value >
 *   current, previous being the field's value at the event before (seen by the signal too); it holds
 *   only at the event that updates its field (a crossing is a moment, not a state).
 * - An armed signal whose rule holds at an event on one of its fields fires, and is then disarmed
 *   until its owner calls `arm` (after the cooldown): the evaluator decides when, the owner decides
 *   for how long. Level-triggered: a rule that still holds when the signal is armed again fires at
 *   the next event on one of its fields.
 *
 * Cost (an event never visits the signals watching a field, and allocates nothing):
 * - Every condition of every signal sits in its field's threshold index. An armed signal whose rule
 *   is false watches conditions that are false: all of them for a single condition or OR (any one
 *   turning true fires it), one for AND (the rule cannot hold while it is false — the watched-literal
 *   trick of SAT solvers; when it turns true the signal is re-checked and watches another false
 *   one, so watches drift to conditions that stay false).
 * - An update walks only the watched entries between the old and the new value that the move can
 *   make true (threshold-index.ts); each that turned true makes its signal a candidate.
 * - An armed signal whose rule holds (armed again after its cooldown while the rule is true) waits
 *   in the ready lists of its fields (ready-lists.ts) and is a candidate at the next event on them.
 * - Candidates are re-checked in full once the event has set all its fields: fire, or watch again.
 * So an event costs O(log n + watched entries crossed + candidates × conditions).
 * - Most events move their fields between two watched entries and decide nothing: `calm` gives the
 *   open window around a field's value inside which an update is only recorded (feed.ts uses it for
 *   whole trade batches and for spread changes: two comparisons per value, no evaluator event).
 */
import { VALUE_DECIMALS, type CompiledRule } from "./compile.ts";
import { Cond, EvalSignal } from "./eval-signal.ts";
import { FieldState, GT, GTE, LT, LTE, OP_INDEX, XA, XB, isCrossing } from "./field-state.ts";
import { FIELD_COUNT, FIELD_INDEX, fieldDecimals, formatField, keyOfScaled } from "./fields.ts";
import { ReadyLists } from "./ready-lists.ts";
import { SIGNAL_FIELDS, type SignalField } from "./rule.ts";
import { ThresholdIndex, WAKE_DOWN, WAKE_UP } from "./threshold-index.ts";

export { EvalSignal };

export interface MarketDecimals {
  priceDecimals: number;
  sizeDecimals: number;
}

/** A field's exact value as kept for payloads; undefined: not seen by the signal. */
export type RawValue = number | bigint | string | undefined;

/** The direction of a move through the threshold that can turn a false condition true. */
function wakeOf(op: number): number {
  if (op === GT || op === GTE || op === XA) return WAKE_UP;
  if (op === LT || op === LTE || op === XB) return WAKE_DOWN;
  return WAKE_UP | WAKE_DOWN; // eq: arriving at the threshold from either side; ne: leaving it
}

/** Per-market evaluation state. `onFire` is called synchronously, after the event is evaluated; it must not feed events. */
export class MarketEvaluator {
  private readonly st = new FieldState();
  private readonly rawDecimals: number[];
  private readonly indexes: ThresholdIndex[] = Array.from({ length: FIELD_COUNT }, () => new ThresholdIndex());
  private readonly ready = new ReadyLists();
  private readonly watchers = new Int32Array(FIELD_COUNT);
  /** Fields set in the current event (the first `touchedCount`). */
  private readonly touched = new Int8Array(FIELD_COUNT);
  private touchedCount = 0;
  /** Watched entries an update walked (reused). */
  private readonly walk: Cond[] = [];
  /** Armed signals to decide once the event has set all its fields. */
  private readonly candidates: EvalSignal[] = [];
  private readonly fired: EvalSignal[] = [];
  /**
   * Rule evaluations decided: per event, the signals watching each field it updated (what
   * `hl_signal_evaluations` counts). Added per field, without visiting the signals.
   */
  evaluations = 0;
  /** Condition checks actually done to decide them: watched entries walked, new entries checked, candidates' conditions re-checked. */
  checks = 0;
  /** Events only recorded (`skip`): none of their updates could make a signal a candidate. */
  recorded = 0;
  /** Per field, the open interval its updates can stay in and be only recorded (set by `calm`). */
  readonly lo = new Float64Array(FIELD_COUNT);
  readonly hi = new Float64Array(FIELD_COUNT);

  /** `quiet` false: every event is evaluated in full (benchmarks measure what `calm` saves). */
  constructor(readonly market: MarketDecimals, private readonly onFire: (s: EvalSignal, ts: number) => void, private readonly quiet = true) {
    const pd = market.priceDecimals;
    const sd = market.sizeDecimals;
    // Decimals of the exact raw value kept per field, for firing payloads.
    this.rawDecimals = [pd, sd, pd + sd, pd, pd + sd, pd + sd, 0, 0, 0];
  }

  /** Adds a signal (armed or not); its view of the market starts now. */
  add(id: string, rule: CompiledRule, armed: boolean): EvalSignal {
    const n = rule.conditions.length;
    const fields = new Int8Array(n);
    const ops = new Int8Array(n);
    const keys = new Float64Array(n);
    rule.conditions.forEach((c, i) => {
      fields[i] = FIELD_INDEX[c.field];
      ops[i] = OP_INDEX[c.op];
      keys[i] = keyOfScaled(c.scaled, VALUE_DECIMALS, fieldDecimals(c.field, this.market));
    });
    const s = new EvalSignal(id, rule, fields, ops, keys);
    for (let i = 0; i < n; i++) {
      const f = fields[i]!;
      const c = new Cond(s, f, ops[i]!, keys[i]!, this.st.versions[f]!, wakeOf(ops[i]!));
      s.conds.push(c);
      this.indexes[f]!.insert(c);
    }
    for (const f of s.ufields) this.watchers[f] = this.watchers[f]! + 1;
    if (armed) this.arm(s);
    return s;
  }

  remove(s: EvalSignal): void {
    if (s.removed) return;
    this.disarm(s);
    for (const c of s.conds) this.indexes[c.field]!.remove(c);
    for (const f of s.ufields) this.watchers[f] = this.watchers[f]! - 1;
    s.removed = true;
  }

  /** Arms a signal: ready when its rule holds now (between events no crossing holds), else watching. */
  arm(s: EvalSignal): void {
    if (s.armed || s.removed) return;
    s.armed = true;
    if (this.ruleHolds(s, false)) this.ready.add(s);
    else this.watchFalse(s, false);
  }

  /** Disarms a signal: it costs nothing until armed again. */
  disarm(s: EvalSignal): void {
    if (!s.armed) return;
    s.armed = false;
    this.unwatch(s);
    this.ready.remove(s);
  }

  /** True when some signal (armed or not) reads `field`. */
  watches(field: SignalField): boolean {
    return this.watchers[FIELD_INDEX[field]]! > 0;
  }

  /** The exact value of every field the signal names and has seen, as decimal strings. */
  values(s: EvalSignal): Partial<Record<SignalField, string>> {
    return this.format(s, this.capture(s));
  }

  /** Appends the raw values `format` reads (one per condition; undefined when not seen) to `out`. */
  capture(s: EvalSignal, out: RawValue[] = []): RawValue[] {
    for (const c of s.conds) out.push(this.st.versions[c.field]! <= c.start ? undefined : this.st.raws[c.field]);
    return out;
  }

  /** Formats the values `capture` appended to `captured` at position `at`. */
  format(s: EvalSignal, captured: readonly RawValue[], at = 0): Partial<Record<SignalField, string>> {
    const out: Partial<Record<SignalField, string>> = {};
    for (let i = 0; i < s.fields.length; i++) {
      const raw = captured[at + i];
      const f = s.fields[i]!;
      if (raw !== undefined) out[SIGNAL_FIELDS[f]!] = typeof raw === "string" ? raw : formatField(raw, this.rawDecimals[f]!);
    }
    return out;
  }

  /** Opens an event: every `set` until `close` belongs to it. */
  begin(): void {
    this.st.epoch++;
  }

  /** Sets a field's value (its key, and the exact raw value for payloads). */
  set(f: number, key: number, raw: number | bigint | string): void {
    if (!this.st.updated(f)) this.touched[this.touchedCount++] = f;
    this.st.set(f, key, raw);
  }

  /** Finds the candidates among the signals on the fields set since `begin`, then fires those whose rule holds. */
  close(ts: number): void {
    const st = this.st;
    const touched = this.touched;
    const count = this.touchedCount;
    this.touchedCount = 0;
    for (let t = 0; t < count; t++) {
      const f = touched[t]!;
      if (this.watchers[f] === 0) continue;
      this.evaluations += this.watchers[f]!;
      const idx = this.indexes[f]!;
      if (idx.unseen.length > 0) {
        // Their first value of the field: checked in full, wherever the threshold is.
        for (const c of idx.unseen) if (c.watched) this.check(c);
        this.checks += idx.unseen.length;
        idx.unseen.length = 0;
      }
      if (st.versions[f]! < 2) idx.reset();
      else if (!idx.passesNothing(st.prevKeys[f]!, st.keys[f]!)) {
        const p = st.prevKeys[f]!;
        const x = st.keys[f]!;
        const walk = this.walk;
        idx.range(p, x);
        idx.collect(x > p, walk);
        for (let i = 0; i < walk.length; i++) this.check(walk[i]!);
        this.checks += walk.length;
        if (walk.length !== 0) walk.length = 0;
      }
      const ready = this.ready.lists[f]!;
      for (let i = 0; i < ready.length; i++) this.candidate(ready[i]!);
    }
    if (this.candidates.length !== 0) this.decide(ts);
  }

  /**
   * Quiet updates. An update of field `f` that stays strictly inside (lo[f], hi[f]), or repeats its
   * current value, passes no watched entry of its index, and `calm(f)` is true only when nothing
   * else can make a candidate either (no signal seeing its first value, none ready on the field, a
   * previous value to move from): `close` would find nothing to decide. Such events are recorded
   * with `skip` and `settle` instead of `begin`/`set`/`close`, which keeps the exact same state (the
   * field's previous and current value, its version and epoch) for the events after them.
   */
  calm(f: number): boolean {
    if (!this.quiet) return false;
    if (this.watchers[f] === 0) {
      this.lo[f] = Number.NEGATIVE_INFINITY;
      this.hi[f] = Number.POSITIVE_INFINITY;
      return true;
    }
    const idx = this.indexes[f]!;
    if (idx.unseen.length !== 0 || this.st.versions[f]! < 1 || this.ready.lists[f]!.length !== 0) return false;
    idx.walls(this.st.keys[f]!);
    this.lo[f] = idx.lowWall;
    this.hi[f] = idx.highWall;
    return true;
  }

  /** The field's current key. */
  key(f: number): number {
    return this.st.keys[f]!;
  }

  /** Records `count` events (see `calm`); `settle` then gives each field they updated its values. */
  skip(count: number): void {
    this.st.epoch += count;
    this.recorded += count;
  }

  /**
   * Field `f` took `count` quiet values since `skip`, the last two being `prev` and `key` (for one,
   * `prev` is its current key), the last one's exact value `raw`.
   */
  settle(f: number, prev: number, key: number, raw: number | bigint | string, count: number): void {
    const st = this.st;
    st.prevKeys[f] = prev;
    st.keys[f] = key;
    st.versions[f] = st.versions[f]! + count;
    st.epochs[f] = st.epoch;
    st.raws[f] = raw;
    const w = this.watchers[f]!;
    if (w !== 0) {
      this.evaluations += w * count;
      this.indexes[f]!.movedInside();
    }
  }

  /** One event updating only field `f`, recorded when quiet; false (nothing done) when it must be evaluated. */
  quietSet(f: number, key: number, raw: number | bigint | string): boolean {
    const cur = this.st.keys[f]!;
    if (!this.calm(f) || !(key === cur || (this.lo[f]! < key && key < this.hi[f]!))) return false;
    this.skip(1);
    this.settle(f, cur, key, raw, 1);
    return true;
  }

  /** A watched condition the update may have made true. */
  private check(c: Cond): void {
    if (this.st.holds(c.field, c.op, c.key, c.start)) this.candidate(c.s);
  }

  private candidate(s: EvalSignal): void {
    if (s.touchEpoch === this.st.epoch) return;
    s.touchEpoch = this.st.epoch;
    this.candidates.push(s);
  }

  private decide(ts: number): void {
    const { candidates, fired } = this;
    for (let i = 0; i < candidates.length; i++) {
      const s = candidates[i]!;
      this.checks += s.conds.length;
      if (!s.armed) continue;
      if (this.ruleHolds(s, true)) fired.push(s);
      else this.watchFalse(s, true);
    }
    candidates.length = 0;
    if (fired.length === 0) return;
    for (let i = 0; i < fired.length; i++) this.disarm(fired[i]!);
    // onFire may arm a signal again (cooldown 0); arming never touches this list.
    const n = fired.length;
    for (let i = 0; i < n; i++) this.onFire(fired[i]!, ts);
    fired.length = 0;
  }

  /** Whether condition `c` holds; outside an event (`inEvent` false) no crossing does. */
  private condHolds(c: Cond, inEvent: boolean): boolean {
    return (inEvent || !isCrossing(c.op)) && this.st.holds(c.field, c.op, c.key, c.start);
  }

  private ruleHolds(s: EvalSignal, inEvent: boolean): boolean {
    const conds = s.conds;
    if (s.and) {
      for (let i = 0; i < conds.length; i++) if (!this.condHolds(conds[i]!, inEvent)) return false;
      return true;
    }
    for (let i = 0; i < conds.length; i++) if (this.condHolds(conds[i]!, inEvent)) return true;
    return false;
  }

  /**
   * An armed signal whose rule does not hold: out of the ready lists, watching what can make it
   * hold — every condition (all false), or under AND one false condition, a crossing if there is
   * one (false but for the moment it crosses).
   */
  private watchFalse(s: EvalSignal, inEvent: boolean): void {
    this.ready.remove(s);
    this.unwatch(s);
    const conds = s.conds;
    if (!s.and) {
      for (let i = 0; i < conds.length; i++) this.indexes[conds[i]!.field]!.watch(conds[i]!, true);
      return;
    }
    let pick: Cond | null = null;
    for (let i = 0; i < conds.length; i++) {
      const c = conds[i]!;
      if (this.condHolds(c, inEvent)) continue;
      if (isCrossing(c.op)) {
        pick = c;
        break;
      }
      pick ??= c;
    }
    if (pick) this.indexes[pick.field]!.watch(pick, true);
  }

  private unwatch(s: EvalSignal): void {
    for (const c of s.conds) if (c.watched) this.indexes[c.field]!.watch(c, false);
  }
}
