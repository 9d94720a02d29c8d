/**
 * SignalActor: the lifecycle of one enabled signal. `armed → cooldown → armed`, and `disabled`.
 *
 * The split: deciding whether a rule holds is hot, per-event code in the market's evaluator
 * (domain/signals/evaluator.ts), which fires an armed signal and disarms it at once. The actor owns
 * what happens next: it records the firing, waits out the cooldown on the injected clock (the named
 * delay `COOLDOWN`) and says when the signal is armed again (`signal.armed`) or switched off
 * (`signal.disabled`); the engine mirrors those into the evaluator.
 *
 * Cooldown semantics: after a firing the signal is not evaluated for `cooldownSecs`; then the next
 * event on which the rule holds fires it again (level-triggered). `cooldownSecs = 0` re-arms at
 * once, so the signal fires on every event on which the rule holds.
 *
 * Restarts keep the cooldown: the input carries the last firing time and the current time, and the
 * actor starts in `cooldown` for what is left of it.
 */
import { assign, emit, setup } from "xstate";

export interface SignalMachineInput {
  signalId: string;
  cooldownSecs: number;
  enabled: boolean;
  /** Last firing (ms), from the stored signal; null = never. */
  lastFiredAt: number | null;
  /** The clock's time when the actor is created (machines never read a clock). */
  now: number;
}

export interface SignalContext {
  signalId: string;
  cooldownMs: number;
  lastFiredAt: number | null;
  /** Length of the current (or next) cooldown, ms. */
  remainingMs: number;
  firings: number;
  /** From the input; only the initial state reads it. */
  startsEnabled: boolean;
}

export type SignalEvent =
  /**
   * The evaluator fired the signal on a market event at `ts`. `elapsedMs`: clock time already gone
   * since then (firings reach the actor just after the market event), deducted from the cooldown.
   */
  | { type: "signal.fired"; ts: number; elapsedMs?: number }
  | { type: "signal.disable" }
  /** `now`: the clock's time, to resume a cooldown that is still running. */
  | { type: "signal.enable"; now: number };

export type SignalEmitted = { type: "signal.armed"; signalId: string } | { type: "signal.disabled"; signalId: string };

const remaining = (c: { cooldownMs: number; lastFiredAt: number | null }, now: number) =>
  c.lastFiredAt === null ? 0 : Math.max(0, c.lastFiredAt + c.cooldownMs - now);

export const signalMachine = setup({
  types: {
    context: {} as SignalContext,
    events: {} as SignalEvent,
    input: {} as SignalMachineInput,
    emitted: {} as SignalEmitted,
  },
  delays: {
    COOLDOWN: ({ context }) => context.remainingMs,
  },
  guards: {
    cooling: ({ context }) => context.remainingMs > 0,
    hasCooldown: ({ context }) => context.cooldownMs > 0,
    startsDisabled: ({ context }) => !context.startsEnabled,
  },
  actions: {
    recordFiring: assign(({ context, event }) => ({
      lastFiredAt: event.type === "signal.fired" ? event.ts : context.lastFiredAt,
      remainingMs: Math.max(0, context.cooldownMs - (event.type === "signal.fired" ? (event.elapsedMs ?? 0) : 0)),
      firings: context.firings + 1,
    })),
    resume: assign(({ context, event }) => ({ remainingMs: event.type === "signal.enable" ? remaining(context, event.now) : 0 })),
    announceArmed: emit(({ context }) => ({ type: "signal.armed" as const, signalId: context.signalId })),
    announceDisabled: emit(({ context }) => ({ type: "signal.disabled" as const, signalId: context.signalId })),
  },
}).createMachine({
  id: "signal",
  context: ({ input }) => {
    const cooldownMs = Math.max(0, input.cooldownSecs) * 1000;
    return { signalId: input.signalId, cooldownMs, lastFiredAt: input.lastFiredAt, remainingMs: remaining({ cooldownMs, lastFiredAt: input.lastFiredAt }, input.now), firings: 0, startsEnabled: input.enabled };
  },
  initial: "starting",
  states: {
    starting: {
      always: [
        { guard: "startsDisabled", target: "disabled" },
        { guard: "cooling", target: "cooldown" },
        { target: "armed" },
      ],
    },
    armed: {
      entry: "announceArmed",
      on: {
        "signal.fired": [
          { guard: "hasCooldown", target: "cooldown", actions: "recordFiring" },
          { target: "armed", reenter: true, actions: "recordFiring" },
        ],
      },
    },
    cooldown: {
      after: { COOLDOWN: { target: "armed" } },
    },
    disabled: {
      entry: "announceDisabled",
      on: {
        "signal.enable": [
          { guard: ({ context, event }) => remaining(context, event.now) > 0, target: "cooldown", actions: "resume" },
          { target: "armed", actions: "resume" },
        ],
      },
    },
  },
  on: {
    "signal.disable": { target: ".disabled" },
  },
});

export type SignalMachine = typeof signalMachine;
