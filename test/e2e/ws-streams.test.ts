/**
 * /ws end to end: the whole service in-process on port 0 with the embedded simulator, real
 * WebSocket clients, keys issued through register + the admin route. Every channel delivers frames
 * that match ws/protocol.ts; the free plan gets the anonymous view and its limits; a book rebuilt
 * from order_book/0 equals the REST book at the same nonce.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { Value } from "@sinclair/typebox/value";
import { loadConfig } from "../../src/config";
import { startService, type RunningService } from "../../src/service";
import { ServerFrame } from "../../src/ws/protocol";
import { tempDir } from "../support/process";
import { authedWs, issueKey, openWs, type Frame, type WsClient } from "../support/ws-client";

const ADMIN = "admin-token-for-ws-streams-tests-0123456789";
let svc: RunningService;
let dir: string;
let wsUrl: string;
let growthKey: string;
const clients: WsClient[] = [];

const track = <T extends WsClient>(c: T) => (clients.push(c), c);
const isData = (type: string, channel: string) => (f: Frame) => f.type === type && f.channel === channel;

beforeAll(async () => {
  dir = tempDir("ws-streams");
  const config = loadConfig({
    PORT: "0", HOST: "127.0.0.1", DATA_DIR: dir, LOG_LEVEL: "error", ADMIN_TOKEN: ADMIN,
    SEED_HOURS: "0", SEED_GUIDE_WINDOW: "false", SIM_RATE: "400", REGISTRATIONS_PER_IP_PER_HOUR: "1000",
    WHALE_NOTIONAL_USD: "1", LIQUIDATION_ALERT_USD: "1", WS_L3_INTERVAL_MS: "150", WS_ENRICHED_INTERVAL_MS: "100",
    WS_AUTH_TIMEOUT_MS: "400", WS_PING_INTERVAL_MS: "200", WS_PONG_TIMEOUT_MS: "300", WS_HEATMAP_INTERVAL_MS: "200",
  });
  svc = await startService(config);
  // Ready once market 0's book is live on the stream (the ws layer has then learned the market).
  const live = new Promise<void>((resolve) => {
    const off = svc.ws.bus.subscribe((e) => (e.type === "book.snapshot" || e.type === "book.delta") && e.m === 0 && (off(), resolve()));
  });
  wsUrl = `${svc.url.replace("http", "ws")}/ws`;
  growthKey = await issueKey(svc.url, ADMIN, "growth");
  await live;
}, 20_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("/ws channels", () => {
  test("every channel acknowledges and delivers frames that match the protocol schemas", async () => {
    const c = track(await authedWs(wsUrl, growthKey));
    const channels = ["order_book/0", "trade/0", "enriched_trade/0", "alert/0", "enriched_order_book/0", "liquidation_heatmap/0"];
    for (const channel of channels) c.send({ type: "subscribe", channel });
    for (const channel of channels) await c.next((f) => f.type === "subscribed" && f.channel === channel);

    const book = await c.next(isData("order_book_update", "order_book/0"));
    expect((book.order_book as { snapshot: boolean }).snapshot).toBe(true);
    const trade = await c.next(isData("trade_update", "trade/0"));
    const rich = await c.next(isData("enriched_trade_update", "enriched_trade/0"));
    const richTrade = rich.trade as { whale: boolean; liquidation: unknown; maker_account_id: unknown; taker_account_id: unknown };
    expect(richTrade.whale).toBe(true);
    expect(typeof richTrade.liquidation).toBe("boolean");
    expect(typeof richTrade.maker_account_id).toBe("number");
    expect(typeof richTrade.taker_account_id).toBe("number");
    const alert = await c.next(isData("alert_update", "alert/0"));
    expect(["large_trade", "large_order_added", "large_order_removed", "liquidation"]).toContain((alert.alert as { kind: string }).kind);
    // Attribution arrives with the first level-3 read.
    const enriched = await c.next((f) => {
      const b = f.enriched_order_book as { attribution_timestamp: number | null; bids: Array<{ accounts: unknown[] }> } | undefined;
      return f.type === "enriched_order_book_update" && !!b && b.attribution_timestamp !== null && b.bids.some((l) => l.accounts.length > 0);
    });
    const level = (enriched.enriched_order_book as { bids: Array<{ accounts: Array<{ account: number | null; side: string }> }> }).bids.find((l) => l.accounts.length > 0)!;
    expect(typeof level.accounts[0]!.account).toBe("number");
    expect(level.accounts[0]!.side).toBe("bid");

    // Heatmaps from the tracked accounts, once the market has a mark.
    const heatmap = await c.next(isData("liquidation_heatmap_update", "liquidation_heatmap/0"), 10_000);
    expect((heatmap.liquidation_heatmap as { market_id: number; buckets: unknown[] }).market_id).toBe(0);
    for (const f of [book, trade, rich, alert, enriched, heatmap, ...c.frames]) {
      if (!Value.Check(ServerFrame, f)) throw new Error(`frame does not match the protocol: ${JSON.stringify(f).slice(0, 300)}`);
    }
  });

  test("a custom tick size is its own view: buckets on the tick, acked canonically", async () => {
    const c = track(await authedWs(wsUrl, growthKey));
    c.send({ type: "subscribe", channel: "enriched_order_book/0", tick_size: "1" });
    expect(await c.next((f) => f.type === "subscribed")).toEqual({ type: "subscribed", channel: "enriched_order_book/0", tick_size: "1.00" });
    const f = await c.next((x) => x.type === "enriched_order_book_update");
    const b = f.enriched_order_book as { tick_size: string; bids: Array<{ price: string }>; asks: Array<{ price: string }> };
    expect(b.tick_size).toBe("1.00");
    for (const l of [...b.bids, ...b.asks]) expect(l.price.endsWith(".00")).toBe(true);
  });

  test("a book rebuilt from order_book/0 equals the REST book at the same nonce, with no gap or duplicate", async () => {
    const c = track(await authedWs(wsUrl, growthKey));
    const bids = new Map<string, string>();
    const asks = new Map<string, string>();
    const states = new Map<number, string>();
    let nonce = -1;
    let problems = 0;
    const top = (m: Map<string, string>, desc: boolean) =>
      [...m].sort((a, b) => (desc ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0]))).slice(0, 50).map(([price, size]) => ({ price, size }));
    c.tap((f) => {
      if (f.type !== "order_book_update") return;
      const ob = f.order_book as { snapshot: boolean; bids: Array<{ price: string; size: string }>; asks: Array<{ price: string; size: string }>; begin_nonce: number; nonce: number };
      if (ob.snapshot) (bids.clear(), asks.clear());
      else if (ob.begin_nonce !== nonce) problems++;
      for (const [side, levels] of [[bids, ob.bids], [asks, ob.asks]] as const) {
        for (const l of levels) (Number(l.size) === 0 ? side.delete(l.price) : side.set(l.price, l.size));
      }
      nonce = ob.nonce;
      states.set(nonce, JSON.stringify({ bids: top(bids, true), asks: top(asks, false) }));
    });
    c.send({ type: "subscribe", channel: "order_book/0" });
    await c.next((f) => f.type === "order_book_update");

    const compared = new Set<number>();
    const deadline = performance.now() + 8_000;
    while (compared.size < 3 && performance.now() < deadline) {
      const res = await fetch(`${svc.url}/api/v1/orderbook/0?depth=50`, { headers: { "x-api-key": growthKey } });
      const rest = res.status === 200 ? ((await res.json()) as { data: { nonce: number; bids: unknown[]; asks: unknown[] } }).data : { nonce: nonce, bids: [], asks: [] };
      const streamed = res.status === 200 ? states.get(rest.nonce) : undefined;
      if (streamed !== undefined) {
        expect(JSON.parse(streamed)).toEqual({ bids: rest.bids, asks: rest.asks });
        compared.add(rest.nonce);
      }
      await c.next((f) => f.type === "order_book_update" && (f.order_book as { nonce: number }).nonce > rest.nonce);
    }
    expect(compared.size).toBe(3);
    expect(problems).toBe(0);
  });
});

describe("/ws plans", () => {
  test("free plan: anonymous enriched views, 5 subscriptions, 1 connection", async () => {
    const key = await issueKey(svc.url, ADMIN, "free");
    const c = track(await authedWs(wsUrl, key));
    expect(c.frames[0]).toMatchObject({ type: "authenticated", tier: "free", max_subscriptions: 5 });
    c.send({ type: "subscribe", channel: "enriched_order_book/0" });
    expect(await c.next((f) => f.type === "subscribed")).toEqual({ type: "subscribed", channel: "enriched_order_book/0", anonymous: true });
    const f = await c.next((x) => {
      const b = x.enriched_order_book as { bids: Array<{ accounts: unknown[] }> } | undefined;
      return x.type === "enriched_order_book_update" && !!b && b.bids.some((l) => l.accounts.length > 0);
    });
    const b = f.enriched_order_book as { anonymous: boolean; bids: Array<{ accounts: Array<{ account: unknown }> }> };
    expect(b.anonymous).toBe(true);
    expect(b.bids.flatMap((l) => l.accounts).every((a) => a.account === null)).toBe(true);
    for (const channel of ["trade/0", "order_book/0", "alert/0", "enriched_trade/0"]) c.send({ type: "subscribe", channel });
    c.send({ type: "subscribe", channel: "trade/1" });
    expect(await c.next((x) => x.type === "error")).toMatchObject({ code: "forbidden", channel: "trade/1" });

    const second = track(await openWs(wsUrl));
    second.send({ type: "auth", api_key: key });
    expect(await second.next((x) => x.type === "error")).toMatchObject({ code: "forbidden" });
    expect((await second.closed).code).toBe(1008);
    c.close();
    await c.closed;
    // The slot is free again once the first connection is gone.
    const third = track(await openWs(wsUrl));
    third.send({ type: "auth", api_key: key });
    expect((await third.next((x) => x.type === "authenticated" || x.type === "error")).type).toBe("authenticated");
  });
});
