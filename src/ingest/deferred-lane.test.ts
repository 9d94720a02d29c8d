import { describe, expect, test } from "bun:test";
import { createDeferredLane } from "./deferred-lane";
import { manualTurns } from "../../test/support/turns";

/** A lane whose turn ends when the test says so. */
function manualLane() {
  const t = manualTurns();
  return { lane: createDeferredLane({ schedule: t.schedule, onError: t.onError }), endTurn: t.turn, errors: t.errors, turns: t.scheduled };
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

describe("deferred lane slices", () => {
  /** A lane on a manual clock: every task takes `costMs`. */
  function timedLane(costMs: number, o: { maxBatch?: number } = {}) {
    let t = 0;
    const turns = manualTurns();
    const lane = createDeferredLane({ schedule: turns.schedule, onError: turns.onError, sliceBudgetMs: 1, now: () => t, ...o });
    const task = (ran: number[], i: number) => () => {
      t += costMs;
      ran.push(i);
    };
    return { lane, task, endTurn: turns.turn, turns: turns.scheduled };
  }

  test("past the budget, what is left runs in the next turn, in order", () => {
    const { lane, task, endTurn, turns } = timedLane(0.4);
    const ran: number[] = [];
    for (let i = 0; i < 7; i++) lane.run(task(ran, i));
    endTurn();
    expect(ran).toEqual([0, 1, 2]); // 1.2 ms ≥ the 1 ms budget
    expect(turns).toHaveLength(1);
    expect(lane.backlog).toBe(4);
    lane.run(task(ran, 7)); // queued between turns: after the rest, not before
    expect(lane.backlog).toBe(5);
    endTurn();
    expect(ran).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lane.backlog).toBe(2);
    endTurn();
    expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(turns).toHaveLength(0);
    expect(lane.backlog).toBe(0);
  });

  test("flush runs everything whatever the budget", () => {
    const { lane, task } = timedLane(5);
    const ran: number[] = [];
    for (let i = 0; i < 4; i++) lane.run(task(ran, i));
    lane.flush();
    expect(ran).toEqual([0, 1, 2, 3]);
  });

  test("a batched sink hands over at most maxBatch items per call, in order", () => {
    const { lane, endTurn } = timedLane(0, { maxBatch: 3 });
    const got: number[][] = [];
    const push = lane.batched<number>((items) => got.push(items));
    for (let i = 1; i <= 7; i++) push(i);
    endTurn();
    expect(got).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });
});
