/**
 * The live signal engine: one `MarketEvaluator` per market, fed by that market's MarketActor
 * events, and one supervised SignalActor per enabled signal owning its lifecycle (cooldown,
 * disabled). Firings reach `onFire` just after the market event (on the next clock turn, see
 * `drain`) and are never awaited (the caller writes them to the durable outbox).
 *
 * Hot path: a market event costs nothing for markets without signals; otherwise it updates the
 * fields it carries and the evaluator finds the signals it can fire by index (see evaluator.ts);
 * a firing is queued without allocating (firing-queue.ts).
 *
 * The evaluator's armed flag is the source of truth for "may fire now". A SignalActor's
 * `signal.armed` is mirrored into it only while none of the signal's firings is still queued: a
 * supervised restart of the actor between a firing and its hand-over (the new incarnation starts
 * from its input) can therefore not arm the signal again before the actor has seen the firing.
 * The input carries the firing's clock time, so the new incarnation resumes the same cooldown.
 * The spread is read from the MarketActor's own book on every change; depth from the actor's 1 s
 * book samples (the snapshots the recorder stores), only when a signal watches it.
 */
import type { Actor } from "xstate";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { MarketMachine } from "../actors/market/market.machine";
import type { MarketInfo } from "../market/live";
import { createActorSystem, type ActorSystem } from "../actors/system";
import { signalMachine, type SignalMachine, type SignalMachineInput } from "../actors/signal/signal.machine";
import { compileRule, type CompiledRule } from "../domain/signals/compile";
import { MarketEvaluator, type EvalSignal, type MarketDecimals } from "../domain/signals/evaluator";
import { bandDepth } from "../domain/signals/fields";
import { feedBook, feedDepth, feedFunding, feedHeatmap, feedTrades } from "../domain/signals/feed";
import type { SignalDefinition, SignalFiring } from "../domain/signals/rule";
import { FiringQueue, type QueuedFiring } from "./firing-queue";

export interface SignalEngineOptions {
  clock: Clock;
  log: Logger;
  /** Supervisor of the SignalActors (default: a private one on `clock`). */
  system?: ActorSystem;
  /** The SignalActor logic (default `signalMachine`; tests provide faulty variants). */
  machine?: SignalMachine;
  onFire(firing: SignalFiring, def: SignalDefinition): void;
  /** Record events that can fire nothing without evaluating them (default true; see evaluator.ts `calm`). */
  quietRuns?: boolean;
}

export interface SignalEngineStats {
  /** Enabled signals loaded (with a SignalActor once their market's decimals are known). */
  signals: number;
  /** The same figure under the name the runtime reads. */
  active: number;
  /** Rule evaluations decided (signals watching a field an event updated, per event; see evaluator.ts). */
  evaluations: number;
  /** Condition checks actually done to decide them (see evaluator.ts). */
  checks: number;
  /** Events only recorded: they could fire nothing (evaluator.ts `calm`). */
  recorded: number;
  firings: number;
}

export interface SignalEngine {
  /** Adds or replaces a signal; a disabled one is removed. `market` gives decimals before `attach`. */
  upsert(def: SignalDefinition, market?: MarketDecimals): void;
  remove(id: string): void;
  /** Wires one MarketActor incarnation (from the pipeline's `wire`, before the actor starts). */
  attach(actor: Actor<MarketMachine>, market: MarketInfo): void;
  /** Heatmap totals of a market: USD at risk (decimal strings; see domain/signals/fields.ts). */
  heatmap(venue: string, marketId: number, totals: { long: string; short: string }, ts: number): void;
  stats(): SignalEngineStats;
  /** Hands every firing already made to `onFire`, then stops every SignalActor and listener. */
  stop(): void;
}

interface MarketEntry {
  evaluator: MarketEvaluator | null;
  /** Signals waiting for the market's decimals. */
  pending: Set<string>;
}

interface SignalEntry {
  def: SignalDefinition;
  rule: CompiledRule;
  marketKey: string;
  slot: EvalSignal | null;
  evaluator: MarketEvaluator | null;
  /** Kept live so that a supervised restart resumes from the last firing at the current time. */
  input: SignalMachineInput;
  /** Firings of this signal queued but not yet handed to its SignalActor. */
  queued: number;
}

const actorId = (id: string) => `signal:${id}`;
/** Firings handed to SignalActors per turn of the event loop. */
const DELIVER_CHUNK = 256;
const keyOf = (venue: string, marketId: number) => `${venue}:${marketId}`;

export function createSignalEngine(opts: SignalEngineOptions): SignalEngine {
  const { clock, log } = opts;
  const system = opts.system ?? createActorSystem({ clock, log });
  const markets = new Map<string, MarketEntry>();
  const signals = new Map<string, SignalEntry>();
  const unsubscribe: Array<() => void> = [];
  let firings = 0;
  let retiredEvaluations = 0;
  let retiredChecks = 0;
  let retiredRecorded = 0;

  const marketOf = (key: string): MarketEntry => {
    let m = markets.get(key);
    if (!m) markets.set(key, (m = { evaluator: null, pending: new Set() }));
    return m;
  };

  // Firings leave the market event at once: the evaluator has disarmed each signal (nothing fires
  // twice), and the rest — the SignalActor's transition (an XState send costs tens of µs), the
  // payload's formatting and `onFire` — runs just after, in chunks on the clock, so a price move
  // that fires thousands of signals does not hold the market's event loop in one piece. The actor
  // deducts the delay from the cooldown.
  const queue = new FiringQueue<SignalEntry>();
  const bySlot = new Map<EvalSignal, SignalEntry>();
  let draining: unknown = null;
  let now = 0;
  const handOver = ({ entry, ts, firedAt, values }: QueuedFiring<SignalEntry>) => {
    const { def } = entry;
    entry.queued--;
    // A firing that happened is delivered even if the signal was replaced or removed since.
    if (signals.get(def.id) === entry) system.get(actorId(def.id))?.ref.send({ type: "signal.fired", ts, elapsedMs: now - firedAt });
    const firing: SignalFiring = { signalId: def.id, venue: def.venue, marketId: def.marketId, ts, values };
    try {
      const r = opts.onFire(firing, def) as unknown;
      if (r instanceof Promise) r.catch((err) => log.error("signals: onFire failed", { signal: def.id, err }));
    } catch (err) {
      log.error("signals: onFire failed", { signal: def.id, err });
    }
  };
  const drain = (all = false) => {
    draining = null;
    now = clock.now();
    queue.take(all ? Number.POSITIVE_INFINITY : DELIVER_CHUNK, handOver);
    if (queue.size > 0) draining = clock.setTimeout(drainSoon, 0);
  };
  const drainSoon = () => drain();

  const fire = (slot: EvalSignal, ts: number) => {
    const entry = bySlot.get(slot);
    const evaluator = entry?.evaluator;
    if (!entry || !evaluator) return;
    firings++;
    const firedAt = clock.now();
    entry.input.lastFiredAt = firedAt;
    entry.queued++;
    // Cooldown 0: armed again at once (the actor would re-arm on the firing anyway).
    if (entry.def.cooldownSecs <= 0) evaluator.arm(slot);
    queue.push(entry, slot, evaluator, ts, firedAt);
    draining ??= clock.setTimeout(drainSoon, 0);
  };

  /** Puts a signal into its market's evaluator and starts its SignalActor. */
  const activate = (entry: SignalEntry, evaluator: MarketEvaluator) => {
    const slot = evaluator.add(entry.def.id, entry.rule, false);
    entry.slot = slot;
    entry.evaluator = evaluator;
    bySlot.set(slot, entry);
    system.spawn(actorId(entry.def.id), opts.machine ?? signalMachine, {
      input: entry.input,
      wire: (ref) => {
        // A new incarnation announces its own state; until then the signal is not evaluated. Its
        // "armed" counts only once it has been handed every firing (see the header).
        evaluator.disarm(slot);
        ref.on("signal.armed", () => {
          if (entry.queued === 0 || entry.def.cooldownSecs <= 0) evaluator.arm(slot);
        });
        ref.on("signal.disabled", () => evaluator.disarm(slot));
      },
    });
  };

  const setDecimals = (key: string, decimals: MarketDecimals) => {
    const m = marketOf(key);
    if (m.evaluator) return m;
    m.evaluator = new MarketEvaluator({ priceDecimals: decimals.priceDecimals, sizeDecimals: decimals.sizeDecimals }, fire, opts.quietRuns ?? true);
    for (const id of m.pending) {
      const entry = signals.get(id);
      if (entry) activate(entry, m.evaluator);
    }
    m.pending.clear();
    return m;
  };

  const remove = (id: string) => {
    const entry = signals.get(id);
    if (!entry) return;
    signals.delete(id);
    system.stop(actorId(id));
    const m = markets.get(entry.marketKey);
    m?.pending.delete(id);
    if (entry.slot) bySlot.delete(entry.slot);
    if (entry.slot && m?.evaluator) m.evaluator.remove(entry.slot);
  };

  /** Spread from the actor's own book on every change (two reads at the touch). */
  const onBook = (ev: MarketEvaluator, actor: Actor<MarketMachine>, ts: number) => {
    if (!ev.watches("orderbook_spread")) return;
    const book = actor.getSnapshot().context.book;
    const bb = book.bestBid();
    const ba = book.bestAsk();
    feedBook(ev, ts, bb?.price ?? null, ba?.price ?? null, null);
  };

  /** Depth from the 1 s book samples: the same levels the recorder stores, so backtests see the same. */
  const onSample = (ev: MarketEvaluator, e: { bids: readonly (readonly [number, number])[]; asks: readonly (readonly [number, number])[]; ts: number }) => {
    if (!ev.watches("bid_depth") && !ev.watches("ask_depth")) return;
    const depth = bandDepth(e);
    if (depth) feedDepth(ev, e.ts, depth);
  };

  return {
    upsert(def, market) {
      const previous = signals.get(def.id);
      remove(def.id);
      if (!def.enabled) return;
      let rule: CompiledRule;
      try {
        rule = compileRule(def.rule);
      } catch (err) {
        log.warn("signals: rule does not compile; signal not loaded", { signal: def.id, err });
        return;
      }
      // A replaced signal keeps the later of the stored and the in-memory last firing.
      const lastFiredAt = Math.max(def.lastFiredAt ?? -Infinity, previous?.input.lastFiredAt ?? -Infinity);
      const input: SignalMachineInput = {
        signalId: def.id,
        cooldownSecs: def.cooldownSecs,
        enabled: true,
        lastFiredAt: Number.isFinite(lastFiredAt) ? lastFiredAt : null,
        get now() {
          return clock.now();
        },
      };
      const entry: SignalEntry = { def, rule, marketKey: keyOf(def.venue, def.marketId), slot: null, evaluator: null, input, queued: 0 };
      signals.set(def.id, entry);
      const m = market ? setDecimals(entry.marketKey, market) : marketOf(entry.marketKey);
      if (m.evaluator) activate(entry, m.evaluator);
      else m.pending.add(def.id);
    },

    remove,

    attach(actor, info) {
      const m = setDecimals(keyOf(info.venue, info.marketId), info);
      const ev = m.evaluator!;
      const subs = [
        actor.on("trade.executed", (e) => {
          if (!ev.watches("trade_price") && !ev.watches("trade_size") && !ev.watches("trade_notional")) return;
          feedTrades(ev, e.trades);
        }),
        actor.on("book.updated", (e) => onBook(ev, actor, e.ts)),
        actor.on("book.sampled", (e) => onSample(ev, e)),
        actor.on("funding.settled", (e) => {
          if (ev.watches("funding_rate")) feedFunding(ev, e.funding.ts, e.funding.rate);
        }),
      ];
      unsubscribe.push(() => subs.forEach((s) => s.unsubscribe()));
    },

    heatmap(venue, marketId, totals, ts) {
      const ev = markets.get(keyOf(venue, marketId))?.evaluator;
      if (ev && (ev.watches("heatmap_long_at_risk") || ev.watches("heatmap_short_at_risk"))) feedHeatmap(ev, ts, totals.long, totals.short);
    },

    stats() {
      let evaluations = retiredEvaluations;
      let checks = retiredChecks;
      let recorded = retiredRecorded;
      for (const m of markets.values()) {
        evaluations += m.evaluator?.evaluations ?? 0;
        checks += m.evaluator?.checks ?? 0;
        recorded += m.evaluator?.recorded ?? 0;
      }
      return { signals: signals.size, active: signals.size, evaluations, checks, recorded, firings };
    },

    stop() {
      if (draining !== null) clock.clearTimeout(draining);
      drain(true); // hand over every firing already made
      for (const id of [...signals.keys()]) remove(id);
      for (const u of unsubscribe.splice(0)) u();
      for (const m of markets.values()) {
        retiredEvaluations += m.evaluator?.evaluations ?? 0;
        retiredChecks += m.evaluator?.checks ?? 0;
        retiredRecorded += m.evaluator?.recorded ?? 0;
      }
      markets.clear();
    },
  };
}
