import { describe, expect, test } from "bun:test";
import { createTurnEnd } from "./turn-end.ts";
import { manualTurns } from "../../test/support/turns";

/** A turn-end queue on a manual scheduler: `turn()` runs what the last turn scheduled. */
function manual() {
  const turns = manualTurns();
  return { q: createTurnEnd(turns), ...turns };
}

describe("turn-end queue", () => {
  test("every `first` callback of a turn runs before every `later` one, each kind in queue order", () => {
    const { q, turn, scheduled } = manual();
    const ran: string[] = [];
    q.later(() => ran.push("later 1"));
    q.first(() => ran.push("first 1"));
    q.later(() => ran.push("later 2"));
    q.first(() => ran.push("first 2"));
    expect(scheduled.length).toBe(1); // one scheduled run for the turn
    expect(ran).toEqual([]);
    turn();
    expect(ran).toEqual(["first 1", "first 2", "later 1", "later 2"]);
  });

  test("callbacks queued while it runs wait for the next turn, in their priority", () => {
    const { q, turn } = manual();
    const ran: string[] = [];
    q.later(() => {
      ran.push("later");
      q.later(() => ran.push("later again"));
      q.first(() => ran.push("first, next turn"));
    });
    turn();
    expect(ran).toEqual(["later"]);
    turn();
    expect(ran).toEqual(["later", "first, next turn", "later again"]);
  });

  test("callbacks queued by a `first` callback run in the same turn, in their priority", () => {
    const { q, turn, scheduled } = manual();
    const ran: string[] = [];
    q.later(() => ran.push("later 1"));
    q.first(() => {
      ran.push("first");
      q.later(() => ran.push("later 2"));
      q.first(() => ran.push("first again"));
    });
    q.first(() => ran.push("first 2"));
    turn();
    expect(ran).toEqual(["first", "first 2", "first again", "later 1", "later 2"]);
    expect(scheduled).toHaveLength(0); // nothing left for another turn
  });

  test("a callback that throws is reported and the others still run", () => {
    const { q, turn, errors } = manual();
    const ran: string[] = [];
    q.first(() => {
      throw new Error("boom");
    });
    q.first(() => ran.push("first"));
    q.later(() => ran.push("later"));
    turn();
    expect(ran).toEqual(["first", "later"]);
    expect(errors.map(String)).toEqual(["Error: boom"]);
  });

  test("the default scheduler runs at the end of the turn, after the synchronous code", async () => {
    const q = createTurnEnd({ onError: () => {} });
    const ran: string[] = [];
    q.later(() => ran.push("later"));
    q.first(() => ran.push("first"));
    ran.push("sync");
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(ran).toEqual(["sync", "first", "later"]);
  });
});
