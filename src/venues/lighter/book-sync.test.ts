import { describe, expect, test } from "bun:test";
import type { LevelChange } from "./book.ts";
import { BookSync } from "./book-sync.ts";

const lv = (price: string, size: string) => ({ price, size });
const snapshot = { bids: [lv("100.00", "1.0000"), lv("99.50", "2.0000")], asks: [lv("100.50", "3.0000")] };

function live(nonce = 10): BookSync {
  const sync = new BookSync(2, 4);
  sync.applySnapshot(snapshot, nonce);
  return sync;
}

describe("BookSync", () => {
  test("a delta before any snapshot is ignored", () => {
    const sync = new BookSync(2, 4);
    expect(sync.applyDelta({ bids: [], asks: [] }, 0, 5, [])).toBe("ignored");
    expect(sync.state).toBe("awaiting-snapshot");
  });

  test("a snapshot seeds the book in fixed point and goes live", () => {
    const sync = live(10);
    expect(sync.state).toBe("live");
    expect(sync.nonce).toBe(10);
    expect(sync.book.bestBid()).toEqual({ price: 10000, size: 10000 });
    expect(sync.book.bestAsk()).toEqual({ price: 10050, size: 30000 });
  });

  test("contiguous deltas apply absolute sizes, zero removes, nonces may jump", () => {
    const sync = live(10);
    const out: LevelChange[] = [];
    expect(sync.applyDelta({ bids: [lv("100.00", "0.0000")], asks: [lv("100.25", "0.5000")] }, 10, 27, out)).toBe("applied");
    expect(out).toEqual([{ side: "bid", price: 10000, size: 0 }, { side: "ask", price: 10025, size: 5000 }]);
    expect(sync.book.bestBid()?.price).toBe(9950);
    expect(sync.book.bestAsk()).toEqual({ price: 10025, size: 5000 });
    expect(sync.nonce).toBe(27);
  });

  test("a duplicate (already applied) delta is dropped without touching the book", () => {
    const sync = live(10);
    sync.applyDelta({ bids: [lv("100.00", "5.0000")], asks: [] }, 10, 20, []);
    sync.applyDelta({ bids: [lv("100.00", "6.0000")], asks: [] }, 20, 30, []);
    const outcome = sync.applyDelta({ bids: [lv("100.00", "5.0000")], asks: [] }, 10, 20, []);
    expect(outcome).toBe("duplicate");
    expect(sync.book.bestBid()).toEqual({ price: 10000, size: 60000 });
    expect(sync.state).toBe("live");
  });

  test("a gap (lost or reordered delta) marks the book resyncing and ignores deltas until a snapshot", () => {
    const sync = live(10);
    expect(sync.applyDelta({ bids: [], asks: [] }, 15, 20, [])).toBe("gap");
    expect(sync.state).toBe("resyncing");
    expect(sync.lastGap).toEqual({ expected: 10, got: 15 });
    expect(sync.book.depth("bid")).toBe(0);
    expect(sync.applyDelta({ bids: [], asks: [] }, 10, 15, [])).toBe("ignored");
    sync.applySnapshot(snapshot, 40);
    expect(sync.state).toBe("live");
    expect(sync.applyDelta({ bids: [], asks: [] }, 40, 41, [])).toBe("applied");
  });

  test("a malformed level throws and leaves the book unchanged", () => {
    const sync = live(10);
    expect(() => sync.applyDelta({ bids: [lv("100.00", "1.0000"), lv("oops", "1")], asks: [] }, 10, 11, [])).toThrow(RangeError);
    expect(sync.nonce).toBe(10);
    expect(sync.book.bestBid()).toEqual({ price: 10000, size: 10000 });
  });
});
