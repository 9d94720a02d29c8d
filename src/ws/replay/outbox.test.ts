import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../lib/clock";
import { createOutbox, type ReplaySocket, type SendStats } from "./outbox";

/** Bun's socket as the outbox sees it: what was written, and a send buffer the test fills and drains. */
function socket() {
  const sent: string[] = [];
  let buffered = 0;
  let corks = 0;
  let perSend = 0;
  const raw: ReplaySocket = {
    sendText: (text) => (sent.push(text), (buffered += perSend), text.length),
    getBufferedAmount: () => buffered,
    cork: (fn) => (corks++, fn()),
  };
  return {
    raw, sent,
    setBuffered: (n: number) => void (buffered = n),
    /** Each send adds `n` bytes to the buffer (a reader that stopped). */
    stall: (n: number) => void (perSend = n),
    corks: () => corks,
  };
}

function setup(high = 100) {
  const clock = new ManualClock(1_000);
  const s = socket();
  const stats: SendStats = { eventsSent: 0, bytesSent: 0, backpressurePauses: 0, dropped: 0 };
  const signals: string[] = [];
  const out = createOutbox(s.raw, { clock, highWaterBytes: high, stats, onBlocked: () => signals.push("blocked"), onDrained: () => signals.push("drained"), pollMs: 25 });
  return { clock, s, stats, signals, out };
}
const head = (n: number) => `{"type":"replay_event","n":${n},"replay_ts":`;

describe("replay outbox", () => {
  test("a batch goes out in one cork, each head completed with the send time; events and bytes counted", () => {
    const { s, stats, out } = setup();
    out.sendEvents([head(1), head(2), head(3)]);
    out.send('{"type":"replay_complete","events_sent":3}');
    expect(s.sent).toEqual([`${head(1)}1000}`, `${head(2)}1000}`, `${head(3)}1000}`, '{"type":"replay_complete","events_sent":3}']);
    expect(s.corks()).toBe(1);
    expect(stats).toEqual({ eventsSent: 3, bytesSent: s.sent.reduce((n, t) => n + t.length, 0), backpressurePauses: 0, dropped: 0 });
  });

  test("above the high-water mark the rest waits, in order with later control frames, and leaves on drain", () => {
    const { clock, s, stats, signals, out } = setup(100);
    s.stall(60);
    out.sendEvents([head(1), head(2), head(3), head(4)]);
    expect(s.sent.length).toBe(2); // 120 bytes buffered after the second frame
    expect(signals).toEqual(["blocked"]);
    out.send('{"type":"replay_paused","position":5}');
    out.sendEvents([head(5)]);
    expect(s.sent.length).toBe(2);
    expect(stats.backpressurePauses).toBe(1);
    clock.set(1_500);
    s.stall(0);
    s.setBuffered(0);
    out.flush();
    expect(s.sent.slice(2)).toEqual([`${head(3)}1500}`, `${head(4)}1500}`, '{"type":"replay_paused","position":5}', `${head(5)}1500}`]);
    expect(signals).toEqual(["blocked", "drained"]);
    expect(stats.eventsSent).toBe(5);
  });

  test("without a drain callback the poll flushes once the buffer has room; discard stops everything", () => {
    const { clock, s, signals, out } = setup(100);
    s.setBuffered(500);
    out.sendEvents([head(1), head(2)]);
    expect(s.sent).toEqual([]);
    clock.advance(25);
    expect(s.sent).toEqual([]);
    s.setBuffered(0);
    clock.advance(25);
    expect(s.sent.length).toBe(2);
    expect(signals).toEqual(["blocked", "drained"]);
    out.discard();
    out.sendEvents([head(3)]);
    out.send("{}");
    expect(s.sent.length).toBe(2);
  });
});
