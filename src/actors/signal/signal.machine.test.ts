import { describe, expect, test } from "bun:test";
import { createActor } from "xstate";
import { ManualClock } from "../../lib/clock";
import { signalMachine, type SignalEmitted, type SignalMachineInput } from "./signal.machine";

function start(input: Partial<SignalMachineInput> = {}, clock = new ManualClock(1_000_000)) {
  const actor = createActor(signalMachine, { clock, input: { signalId: "sig_1", cooldownSecs: 60, enabled: true, lastFiredAt: null, now: clock.now(), ...input } });
  const emitted: SignalEmitted["type"][] = [];
  actor.on("*", (e) => emitted.push((e as SignalEmitted).type));
  actor.start();
  return { actor, clock, emitted, state: () => actor.getSnapshot().value };
}

describe("SignalActor", () => {
  test("starts armed and announces it", () => {
    const { state, emitted } = start();
    expect(state()).toBe("armed");
    expect(emitted).toEqual(["signal.armed"]);
  });

  test("a firing starts the cooldown on the injected clock; then it is armed again", () => {
    const { actor, clock, state, emitted } = start();
    actor.send({ type: "signal.fired", ts: clock.now() });
    expect(state()).toBe("cooldown");
    expect(actor.getSnapshot().context.lastFiredAt).toBe(1_000_000);
    clock.advance(59_999);
    expect(state()).toBe("cooldown");
    clock.advance(1);
    expect(state()).toBe("armed");
    expect(emitted).toEqual(["signal.armed", "signal.armed"]);
  });

  test("time already gone since the firing counts against the cooldown", () => {
    const { actor, clock, state } = start();
    actor.send({ type: "signal.fired", ts: clock.now() - 10_000, elapsedMs: 10_000 });
    clock.advance(49_999);
    expect(state()).toBe("cooldown");
    clock.advance(1);
    expect(state()).toBe("armed");
  });

  test("cooldown 0 re-arms at once", () => {
    const { actor, state, emitted } = start({ cooldownSecs: 0 });
    actor.send({ type: "signal.fired", ts: 5 });
    expect(state()).toBe("armed");
    expect(emitted).toEqual(["signal.armed", "signal.armed"]);
    expect(actor.getSnapshot().context.firings).toBe(1);
  });

  test("a restart keeps what is left of the cooldown", () => {
    const clock = new ManualClock(1_000_000);
    const { state } = start({ lastFiredAt: 1_000_000 - 45_000 }, clock);
    expect(state()).toBe("cooldown");
    clock.advance(14_999);
    expect(state()).toBe("cooldown");
    clock.advance(1);
    expect(state()).toBe("armed");
  });

  test("a cooldown that ended while stopped starts armed", () => {
    expect(start({ lastFiredAt: 1_000_000 - 60_000 }).state()).toBe("armed");
  });

  test("disabled ignores firings; enabling resumes a running cooldown", () => {
    const { actor, clock, state, emitted } = start({ enabled: false });
    expect(state()).toBe("disabled");
    expect(emitted).toEqual(["signal.disabled"]);
    actor.send({ type: "signal.fired", ts: 1 });
    expect(state()).toBe("disabled");
    actor.send({ type: "signal.enable", now: clock.now() });
    expect(state()).toBe("armed");
    actor.send({ type: "signal.fired", ts: clock.now() });
    actor.send({ type: "signal.disable" });
    clock.advance(30_000);
    actor.send({ type: "signal.enable", now: clock.now() });
    expect(state()).toBe("cooldown");
    clock.advance(30_000);
    expect(state()).toBe("armed");
  });
});
