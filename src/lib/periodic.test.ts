import { describe, expect, test } from "bun:test";
import { ManualClock } from "./clock";
import { periodic } from "./periodic";

/** A 100 ms schedule on a manual clock whose runs each last until the test calls `release()`. */
function gated() {
  const clock = new ManualClock(0);
  let count = 0;
  let open: () => void = () => {};
  const p = periodic({ clock, everyMs: 100, task: () => (count++, new Promise<void>((r) => (open = r))), onError: () => {} });
  return { clock, p, runs: () => count, release: () => open() };
}

describe("periodic", () => {
  test("never two runs at once: a run asked for during one joins it; the next comes an interval after it ends", async () => {
    const { clock, p, runs, release } = gated();
    p.start();
    const joined = p.run();
    expect(runs()).toBe(1);
    clock.advance(500); // no timer is armed while the first run is under way
    expect(runs()).toBe(1);
    release();
    await joined;
    clock.advance(99);
    expect(runs()).toBe(1);
    clock.advance(1);
    expect(runs()).toBe(2);
    p.stop();
    release();
    await Promise.resolve();
    clock.advance(1_000);
    expect(runs()).toBe(2);
  });

  test("a failed run is reported and the schedule goes on; start(false) waits an interval first", async () => {
    const clock = new ManualClock(0);
    const errors: unknown[] = [];
    let runs = 0;
    const task = async () => {
      runs++;
      if (runs === 1) throw new Error("first");
    };
    const p = periodic({ clock, everyMs: 50, task, onError: (e) => void errors.push(e) });
    p.start(false);
    expect(runs).toBe(0);
    clock.advance(50);
    expect(runs).toBe(1);
    await p.run(); // joins the failing run
    expect(errors).toHaveLength(1);
    clock.advance(50);
    expect(runs).toBe(2);
    p.stop();
  });

  test("stopped and started again while a run is under way: one schedule, not two", async () => {
    const { clock, p, runs, release } = gated();
    p.start();
    const first = p.run();
    p.stop();
    p.start(false); // armed for t = 100
    clock.advance(50);
    release(); // the old run ends at t = 50: it must not arm a timer of its own (t = 150)
    await first;
    for (let i = 0; i < 10; i++) {
      clock.advance(50);
      release();
      await new Promise((r) => setImmediate(r)); // the ended run's callbacks, all of them
    }
    // t = 100 … 550 with instant runs: one every 100 ms is 5 more; two schedules 50 ms apart, 10.
    expect(runs()).toBe(6);
    p.stop();
  });
});
