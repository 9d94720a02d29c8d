import { describe, expect, test } from "bun:test";
import { createDeferredLane } from "./deferred-lane";

/** A lane whose turn ends when the test says so. */
function manualLane() {
  const turns: Array<() => void> = [];
  const errors: unknown[] = [];
  const lane = createDeferredLane({ schedule: (fn) => void turns.push(fn), onError: (err) => void errors.push(err) });
  const endTurn = () => {
    for (const fn of turns.splice(0)) fn();
  };
  return { lane, endTurn, errors, turns };
}

describe("deferred lane", () => {
  test("runs nothing before the end of the turn, then everything in order, once", () => {
    const { lane, endTurn, turns } = manualLane();
    const ran: number[] = [];
    for (const i of [1, 2, 3]) lane.run(() => ran.push(i));
    expect(ran).toEqual([]);
    expect(turns).toHaveLength(1);
    endTurn();
    expect(ran).toEqual([1, 2, 3]);
    endTurn();
    expect(ran).toEqual([1, 2, 3]);
    expect(lane.stats).toMatchObject({ tasks: 3, batches: 1, failures: 0 });
  });

  test("a task that throws is reported and the others still run", () => {
    const { lane, endTurn, errors } = manualLane();
    const ran: string[] = [];
    lane.run(() => ran.push("a"));
    lane.run(() => {
      throw new Error("boom");
    });
    lane.run(() => ran.push("c"));
    endTurn();
    expect(ran).toEqual(["a", "c"]);
    expect(errors).toHaveLength(1);
    expect(lane.stats.failures).toBe(1);
  });

  test("batched delivers one array per turn in arrival order", () => {
    const { lane, endTurn } = manualLane();
    const got: number[][] = [];
    const push = lane.batched<number>((items) => got.push(items));
    push(1);
    push(2);
    endTurn();
    push(3);
    endTurn();
    expect(got).toEqual([[1, 2], [3]]);
  });

  test("flush runs what is queued at once (the pipeline's stop)", () => {
    const { lane } = manualLane();
    const ran: number[] = [];
    lane.run(() => ran.push(1));
    lane.flush();
    expect(ran).toEqual([1]);
  });

  test("work queued while draining runs in the same turn", () => {
    const { lane, endTurn } = manualLane();
    const ran: string[] = [];
    lane.run(() => lane.run(() => ran.push("inner")));
    endTurn();
    expect(ran).toEqual(["inner"]);
  });

  test("the default schedule runs after the current callback", async () => {
    const lane = createDeferredLane({ onError: () => {} });
    const ran: string[] = [];
    lane.run(() => ran.push("deferred"));
    ran.push("inline");
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual(["inline", "deferred"]);
  });
});
