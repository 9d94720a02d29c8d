/**
 * Backpressure end to end: a client that stops reading (its TCP socket paused, so the kernel's
 * buffers fill and then the server's) is closed 1008 "slow consumer" within a few seconds, while
 * clients that keep reading get every frame of their topic at (at least 90% of) their earlier rate.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { loadConfig } from "../../src/config";
import { startService, type RunningService } from "../../src/service";
import { tempDir } from "../support/process";
import { connectRaw, type RawWs } from "../support/raw-ws";
import { authedWs, issueKey, type Frame, type WsClient } from "../support/ws-client";

const ADMIN = "admin-token-for-ws-backpressure-tests-0123";
let svc: RunningService;
let dir: string;
let wsUrl: string;
let key: string;
const clients: WsClient[] = [];
let slow: RawWs | undefined;

beforeAll(async () => {
  dir = tempDir("ws-backpressure");
  svc = await startService(
    loadConfig({
      PORT: "0", HOST: "127.0.0.1", DATA_DIR: dir, LOG_LEVEL: "error", ADMIN_TOKEN: ADMIN, SEED_HOURS: "0", SEED_GUIDE_WINDOW: "false",
      SIM_RATE: "1500", WS_SEND_BUFFER_BYTES: "262144", WS_SLOW_CONSUMER_CHECK_MS: "50", WS_ENRICHED_INTERVAL_MS: "50",
    }),
  );
  wsUrl = `${svc.url.replace("http", "ws")}/ws`;
  key = await issueKey(svc.url, ADMIN, "enterprise");
});

afterAll(async () => {
  for (const c of clients) c.close();
  slow?.destroy();
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A reader of order_book/0 that checks continuity and records, per frame, when it arrived and when
 * the venue sent the update (both wall clock: the simulator runs in this process). Its message rate
 * over a window is judged against what the venue produced in that window — so the simulator's own
 * bursts and lulls do not count against the server — as the share of those frames that arrived
 * within a second of the venue sending them.
 */
async function reader() {
  const c = await authedWs(wsUrl, key);
  clients.push(c);
  const arrivals: Array<{ at: number; venueTs: number }> = [];
  let nonce = -1;
  let gaps = 0;
  c.tap((f: Frame) => {
    if (f.type !== "order_book_update") return;
    const ob = f.order_book as { snapshot: boolean; begin_nonce: number; nonce: number; timestamp: number };
    if (!ob.snapshot && ob.begin_nonce !== nonce) gaps++;
    nonce = ob.nonce;
    if (!ob.snapshot) arrivals.push({ at: Date.now(), venueTs: ob.timestamp });
  });
  c.send({ type: "subscribe", channel: "order_book/0" });
  await c.next((f) => f.type === "order_book_update");
  /** Of the frames the venue sent in [from, to), the share delivered within a second. */
  const keptRate = (from: number, to: number) => {
    const sent = arrivals.filter((a) => a.venueTs >= from && a.venueTs < to);
    return sent.filter((a) => a.at - a.venueTs <= 1_000).length / Math.max(1, sent.length);
  };
  const count = (from: number, to: number) => arrivals.filter((a) => a.venueTs >= from && a.venueTs < to).length;
  return { c, keptRate, count, gaps: () => gaps };
}

test("a client that stops reading is closed 'slow consumer'; the others keep their rate and every frame", async () => {
  const readers = await Promise.all([reader(), reader(), reader()]);
  const [first] = readers;
  slow = await connectRaw(wsUrl);
  slow.send(JSON.stringify({ type: "auth", api_key: key }));
  await slow.next((m) => m.type === "authenticated");
  const markets = [0, 1, 2, 3, 4, 7, 8, 16];
  for (const m of markets) slow.send(JSON.stringify({ type: "subscribe", channel: `order_book/${m}` }));
  for (const m of [0, 1]) {
    for (const tick of [undefined, "1", "5", "10", "50"]) slow.send(JSON.stringify({ type: "subscribe", channel: `enriched_order_book/${m}`, tick_size: tick }));
  }
  await slow.next((m) => m.type === "order_book_update");
  const pausedAt = Date.now();
  slow.pause();

  const before = svc.ws.gateway.stats.slowConsumers;
  await first!.c.next(() => svc.ws.gateway.stats.slowConsumers > before, 10_000);
  const closedAt = Date.now();
  console.log(`slow consumer closed ${closedAt - pausedAt} ms after it stopped reading`);
  expect(closedAt - pausedAt).toBeLessThan(5_000);

  // Every frame the venue sent before the close has had a second to arrive.
  await first!.c.next(() => Date.now() > closedAt + 1_000, 5_000);
  for (const r of readers) {
    expect(r.gaps()).toBe(0);
    expect(r.count(pausedAt, closedAt)).toBeGreaterThan(0);
    expect(r.keptRate(pausedAt, closedAt)).toBeGreaterThanOrEqual(0.9);
  }
  // Once it reads again it finds the reason at the end of what was queued for it.
  slow.resume();
  expect(await slow.closed).toEqual({ code: 1008, reason: "slow consumer" });
  const metrics = await (await fetch(`${svc.url}/metrics`)).text();
  expect(metrics).toMatch(/hl_ws_closed_total\{reason="slow consumer"\} 1/);
  expect(metrics).toMatch(/hl_ws_slow_consumers 1/);
}, 20_000);
