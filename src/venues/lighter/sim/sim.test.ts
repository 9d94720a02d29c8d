import { afterEach, describe, expect, test } from "bun:test";
import { ManualClock } from "../../../lib/clock.ts";
import { runHistory, startSimulator, type HistoryEvent, type SimHandle } from "./index.ts";

const START = Date.UTC(2026, 2, 2, 9, 58, 0);
type Frame = Record<string, unknown> & { type?: string; channel?: string };

/** A WS client whose frames can be awaited (never a fixed sleep). */
async function client(sim: SimHandle) {
  const ws = new WebSocket(sim.wsUrl);
  const frames: Frame[] = [];
  const waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  ws.onmessage = (e) => {
    const f = JSON.parse(String(e.data)) as Frame;
    frames.push(f);
    for (const w of [...waiters]) if (w.pred(f)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(f));
  };
  const next = (pred: (f: Frame) => boolean) => new Promise<Frame>((resolve) => waiters.push({ pred, resolve }));
  const connected = next((f) => f.type === "connected");
  const closed = new Promise<number>((resolve) => (ws.onclose = (e) => resolve(e.code)));
  await connected;
  const subscribe = async (channel: string) => {
    const ack = next((f) => f.channel === channel.replaceAll("/", ":") && String(f.type).startsWith("subscribed/"));
    ws.send(JSON.stringify({ type: "subscribe", channel }));
    return ack;
  };
  /** Resolves once every frame sent before it has arrived (the pong queues behind them). */
  const barrier = () => {
    const pong = next((f) => f.type === "pong");
    ws.send(JSON.stringify({ type: "ping" }));
    return pong;
  };
  return { ws, frames, next, subscribe, closed, barrier };
}

let sim: SimHandle | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function start(clock: ManualClock): Promise<SimHandle> {
  sim = await startSimulator({ clock, seed: 3, accounts: 200, rate: 400, markets: [0, 1], pingIntervalMs: 0 });
  return sim;
}

describe("runHistory", () => {
  const collect = async (seed: number) => {
    const events: HistoryEvent[] = [];
    const progress: number[] = [];
    const summary = await runHistory({
      seed, from: START, to: START + 4 * 60_000, rate: 30, accounts: 200,
      onEvent: (e) => void events.push(e), onProgress: (p) => progress.push(p.fraction),
    });
    return { events, progress, summary };
  };

  test("is deterministic, covers every event type and reports progress", async () => {
    let turns = 0;
    let spinning = true;
    const spin = () => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const a = await collect(17);
    spinning = false;
    const b = await collect(17);

    expect(JSON.stringify(b.events.slice(0, 500))).toBe(JSON.stringify(a.events.slice(0, 500)));
    expect(b.events.length).toBe(a.events.length);
    const kinds = new Set(a.events.map((e) => e.type));
    for (const k of ["trades", "book", "funding", "stats"]) expect(kinds.has(k as HistoryEvent["type"])).toBe(true);
    expect(a.summary.reached).toBe(START + 4 * 60_000);
    expect(a.summary.fundings).toBe(8 * 1); // one settlement (10:00) on each of the 8 markets
    expect(a.progress.at(-1)).toBe(1);
    expect(turns).toBeGreaterThan(1); // the run yielded to the event loop
  }, 30_000);
});

describe("live simulator", () => {
  test("a client applying snapshot + deltas holds the ground-truth book at every nonce", async () => {
    const clock = new ManualClock(START);
    const s = await start(clock);
    const c = await client(s);
    const snapshot = (await c.subscribe("order_book/0")).order_book as { nonce: number; asks: { price: string; size: string }[]; bids: { price: string; size: string }[] };
    const asks = new Map(snapshot.asks.map((l) => [l.price, l.size]));
    const bids = new Map(snapshot.bids.map((l) => [l.price, l.size]));
    let checked = 0;
    let nonce = snapshot.nonce;
    const done = c.next((f) => {
      if (f.type !== "update/order_book") return false;
      const ob = f.order_book as typeof snapshot & { begin_nonce: number };
      expect(ob.begin_nonce).toBe(nonce);
      nonce = ob.nonce;
      for (const l of ob.asks) Number(l.size) === 0 ? asks.delete(l.price) : asks.set(l.price, l.size);
      for (const l of ob.bids) Number(l.size) === 0 ? bids.delete(l.price) : bids.set(l.price, l.size);
      const truth = s.truth.bookAt(0, nonce)!;
      expect([...asks.entries()].sort((x, y) => Number(x[0]) - Number(y[0]))).toEqual(truth.asks.map((l) => [l.price, l.size]));
      expect([...bids.entries()].sort((x, y) => Number(y[0]) - Number(x[0]))).toEqual(truth.bids.map((l) => [l.price, l.size]));
      return ++checked >= 50;
    });
    for (let i = 0; i < 100 && checked < 50; i++) clock.advance(200);
    await done;
    expect(s.truth.tradeIds(0).length).toBeGreaterThan(0);
    c.ws.close();
  });

  test("faults: dropped, duplicated and reordered deltas break or repeat the nonce chain", async () => {
    const clock = new ManualClock(START);
    const s = await start(clock);
    const c = await client(s);
    await c.subscribe("order_book/1");
    const deltas = () => c.frames.filter((f) => f.type === "update/order_book").map((f) => f.order_book as { nonce: number; begin_nonce: number });

    s.setFaults({ duplicateDeltaPct: 100 });
    clock.advance(1_000);
    await c.barrier();
    const dup = deltas();
    expect(dup.length).toBeGreaterThan(2);
    expect(dup[1]).toEqual(dup[0]!);

    s.setFaults({ duplicateDeltaPct: 0, dropDeltaPct: 100 });
    const before = deltas().length;
    clock.advance(1_000);
    await c.barrier();
    expect(deltas().length).toBe(before);
    expect(s.stats().faults.dropped).toBeGreaterThan(0);

    s.setFaults({ dropDeltaPct: 0, reorderDeltaPct: 50 });
    clock.advance(2_000);
    await c.barrier();
    const chain = deltas().slice(before);
    expect(chain.some((d, i) => i > 0 && d.begin_nonce !== chain[i - 1]!.nonce)).toBe(true);
    c.ws.close();
  });

  test("faults: a stall holds every frame on an open socket, then flushes them in order", async () => {
    const clock = new ManualClock(START);
    const s = await start(clock);
    const c = await client(s);
    await c.subscribe("order_book/0");
    s.setFaults({ stallMs: 3_000 });
    clock.advance(2_000);
    expect(s.stats().outbox.queued).toBeGreaterThan(0);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    const flushed = c.next((f) => f.type === "update/order_book");
    clock.advance(1_500);
    await flushed;
    c.ws.close();
  });

  test("faults: disconnect every N ms closes connections", async () => {
    const clock = new ManualClock(START);
    const s = await start(clock);
    const c = await client(s);
    s.setFaults({ disconnectEveryMs: 1_000 });
    clock.advance(1_000);
    await c.closed;
    expect(s.stats().faults.disconnects).toBe(1);
  });

  test("server pings and the rate knob", async () => {
    const clock = new ManualClock(START);
    sim = await startSimulator({ clock, seed: 4, accounts: 100, rate: 300, markets: [0], pingIntervalMs: 1_000 });
    const c = await client(sim);
    const ping = c.next((f) => f.type === "ping");
    clock.advance(1_000);
    await ping;
    sim.setRate(0);
    expect(sim.rate).toBe(0);
    const nonce = sim.truth.nonce(0);
    clock.advance(5_000);
    sim.sync();
    expect(sim.truth.nonce(0)).toBe(nonce);
    c.ws.close();
  });
});
