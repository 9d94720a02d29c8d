/**
 * Multi-node streams with real processes sharing Redis: a client connected to a ROLE=api node (no
 * venue connection, no market actors) receives what the ROLE=ingest node ingests — a book snapshot
 * (from the ingest node's checkpoints), then gapless deltas, trades, and the attributed book and
 * heatmap the ingest node produces only because a node asked for them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { hasRedis, REDIS_URL } from "../support/services";
import { spawnService, tempDir, type ServiceProcess } from "../support/process";
import { authedWs, issueKey, type Frame, type WsClient } from "../support/ws-client";

const ADMIN = "admin-token-for-ws-multinode-tests-01234";
const ELECTED = /"msg":"ingest leader elected"/;

describe.skipIf(!hasRedis)("/ws across nodes (Redis)", () => {
  // A database of its own: the leader lock, cache and bus channel of this deployment only.
  const redisUrl = `${REDIS_URL.replace(/\/\d*$/, "")}/${1 + (process.pid % 14)}`;
  const procs: ServiceProcess[] = [];
  const dirs: string[] = [];
  let client: WsClient | undefined;

  const start = (role: string, extra: Record<string, string> = {}) => {
    const dir = tempDir(`ws-${role}`);
    dirs.push(dir);
    const p = spawnService({
      ROLE: role, REDIS_URL: redisUrl, DATA_DIR: dir, SEED_HOURS: "0", SEED_GUIDE_WINDOW: "false",
      WS_CHECKPOINT_MS: "300", WS_L3_INTERVAL_MS: "200", WS_HEATMAP_INTERVAL_MS: "300", ADMIN_TOKEN: ADMIN, REGISTRATIONS_PER_IP_PER_HOUR: "1000", ...extra,
    });
    procs.push(p);
    return p;
  };

  afterAll(async () => {
    client?.close();
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("a client of an api node gets what the ingest node ingests: book, trades, attributed book, heatmap", async () => {
    const ingest = start("ingest");
    const api = start("api");
    const [apiPort] = await Promise.all([api.port(), ingest.waitFor(ELECTED, 20_000)]);
    const base = `http://127.0.0.1:${apiPort}`;
    const key = await issueKey(base, ADMIN, "growth");
    // Ready when the api node serves market 0's live book from the shared cache: the ingest node
    // is then live and publishing on the bus, which is how the api node learns the market.
    const deadline = performance.now() + 20_000;
    while ((await fetch(`${base}/api/v1/orderbook/0`, { headers: { "x-api-key": key } })).status !== 200) {
      if (performance.now() > deadline) throw new Error("the api node never served market 0");
      await Bun.sleep(100);
    }
    client = await authedWs(`ws://127.0.0.1:${apiPort}/ws`, key);
    const c = client;
    let nonce = -1;
    let deltas = 0;
    let gaps = 0;
    c.tap((f: Frame) => {
      if (f.type !== "order_book_update") return;
      const ob = f.order_book as { snapshot: boolean; begin_nonce: number; nonce: number };
      if (ob.snapshot) nonce = ob.nonce;
      else if (nonce >= 0) {
        if (ob.begin_nonce !== nonce) gaps++;
        nonce = ob.nonce;
        deltas++;
      }
    });
    c.send({ type: "subscribe", channel: "order_book/0" });
    c.send({ type: "subscribe", channel: "trade/0" });
    c.send({ type: "subscribe", channel: "enriched_order_book/0" });
    c.send({ type: "subscribe", channel: "liquidation_heatmap/0" });
    expect(await c.next((f) => f.type === "subscribed" || f.type === "error")).toEqual({ type: "subscribed", channel: "order_book/0" });

    const snapshot = await c.next((f) => f.type === "order_book_update", 10_000);
    expect((snapshot.order_book as { snapshot: boolean; bids: unknown[] }).snapshot).toBe(true);
    expect((snapshot.order_book as { bids: unknown[] }).bids.length).toBeGreaterThan(0);
    await c.next(() => deltas >= 50, 15_000);
    await c.next((f) => f.type === "trade_update", 15_000);
    // Produced on the ingest node because this node asked for them (the demand board in Redis).
    await c.next((f) => f.type === "enriched_order_book_update" && (f.enriched_order_book as { attribution_timestamp: number | null }).attribution_timestamp !== null, 15_000);
    await c.next((f) => f.type === "liquidation_heatmap_update", 15_000);
    expect(gaps).toBe(0);

    const status = (await (await fetch(`${base}/status`)).json()) as { data: { connection: string } };
    expect(status.data.connection).toBe("not ingesting (api role)");
    expect(api.lines.some((l) => ELECTED.test(l))).toBe(false);
  }, 45_000);
});
