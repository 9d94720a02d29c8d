import { expect, test } from "bun:test";
import { assign, setup } from "xstate";
import { ManualClock } from "../lib/clock";
import { silentLogger } from "../lib/log";
import { createActorSystem } from "./system";

const fragile = setup({
  types: { context: {} as { n: number; label: string }, events: {} as { type: "inc" } | { type: "boom" }, input: {} as { label: string } },
  actions: {
    explode: () => {
      throw new Error("boom");
    },
  },
}).createMachine({
  context: ({ input }) => ({ n: 0, label: input.label }),
  on: { inc: { actions: assign({ n: ({ context }) => context.n + 1 }) }, boom: { actions: "explode" } },
});

test("a crashing actor is restarted from its input; others are unaffected", () => {
  const clock = new ManualClock(0);
  const system = createActorSystem({ clock, log: silentLogger() });
  const a = system.spawn("a", fragile, { input: { label: "A" } });
  const b = system.spawn("b", fragile, { input: { label: "B" } });
  a.ref.send({ type: "inc" });
  b.ref.send({ type: "inc" });
  const first = a.ref;
  a.ref.send({ type: "boom" });
  expect(a.ref).not.toBe(first);
  expect(a.restarts).toBe(1);
  expect(a.ref.getSnapshot().status).toBe("active");
  expect(a.ref.getSnapshot().context).toEqual({ n: 0, label: "A" });
  expect(b.ref.getSnapshot().context.n).toBe(1);
  system.stopAll();
});

test("an actor that keeps crashing is left stopped and reported", () => {
  const clock = new ManualClock(0);
  const system = createActorSystem({ clock, log: silentLogger() });
  const a = system.spawn("a", fragile, { input: { label: "A" } });
  for (let i = 0; i < 6; i++) a.ref.send({ type: "boom" });
  expect(a.failed).toBe(true);
  expect(system.failed()).toEqual(["a"]);
  // A minute later the window has passed, but a failed actor stays failed until respawned.
  clock.advance(61_000);
  expect(system.failed()).toEqual(["a"]);
});

test("wire runs for every incarnation so listeners survive restarts", () => {
  const clock = new ManualClock(0);
  const system = createActorSystem({ clock, log: silentLogger() });
  let wired = 0;
  const a = system.spawn("a", fragile, { input: { label: "A" }, wire: () => void wired++ });
  a.ref.send({ type: "boom" });
  expect(wired).toBe(2);
  system.stop("a");
  expect(system.get("a")).toBeUndefined();
});
