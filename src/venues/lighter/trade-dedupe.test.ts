import { describe, expect, test } from "bun:test";
import { Backoff } from "./backoff.ts";
import { TradeDeduper } from "./trade-dedupe.ts";

describe("TradeDeduper", () => {
  test("admits each id once", () => {
    const d = new TradeDeduper(8);
    expect(d.admit(5)).toBe(true);
    expect(d.admit(5)).toBe(false);
    expect(d.admit(3)).toBe(true);
    expect(d.highestId).toBe(5);
  });

  test("ids at or below the floor count as seen and are forgotten", () => {
    const d = new TradeDeduper();
    for (const id of [1, 2, 3, 7, 5]) d.admit(id);
    d.advanceFloor(3);
    expect(d.size).toBe(2);
    expect(d.admit(2)).toBe(false);
    expect(d.admit(3)).toBe(false); // at the floor: emitted before by definition
    expect(d.admit(6)).toBe(true);
    d.advanceFloor(7);
    expect(d.size).toBe(0);
  });

  test("memory is bounded: past capacity the oldest id is dropped and the floor rises to it", () => {
    const d = new TradeDeduper(4);
    for (let id = 1; id <= 10; id++) expect(d.admit(id)).toBe(true);
    expect(d.size).toBe(4);
    expect(d.floor).toBe(6);
    for (let id = 1; id <= 10; id++) expect(d.admit(id)).toBe(false);
    expect(d.admit(11)).toBe(true);
  });
});

describe("Backoff", () => {
  test("full jitter: delays are uniform below a doubling ceiling capped at capMs", () => {
    const b = new Backoff({ baseMs: 250, capMs: 2000, random: () => 0.999999 });
    const delays = Array.from({ length: 6 }, () => b.next());
    expect(delays).toEqual([249, 499, 999, 1999, 1999, 1999]);
    expect(b.attempt).toBe(6);
  });

  test("random 0 gives 0 and reset starts over", () => {
    const b = new Backoff({ baseMs: 100, capMs: 1000, random: () => 0 });
    b.next();
    b.next();
    expect(b.ceiling()).toBe(400);
    b.reset();
    expect(b.ceiling()).toBe(100);
    expect(b.next()).toBe(0);
  });

  test("rejects a cap below the base", () => {
    expect(() => new Backoff({ baseMs: 100, capMs: 50 })).toThrow(RangeError);
  });
});
