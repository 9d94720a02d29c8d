/**
 * The stream bus across nodes on one Redis: an event published on a node reaches that node's
 * listeners at once, as the event itself and exactly once (no echo back through Redis), and every
 * other node's listeners as an equal copy.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type Redis from "ioredis";
import { silentLogger } from "../../src/lib/log.ts";
import { createRedisClient } from "../../src/store/redis/client.ts";
import { createRedisBus, type StreamBus } from "../../src/ws/stream/bus.ts";
import type { StreamEvent } from "../../src/ws/stream/events.ts";
import { hasRedis, REDIS_URL, uniqueName } from "../support/services.ts";
import { waitFor } from "./wait.ts";

describe.skipIf(!hasRedis)("redis stream bus", () => {
  const clients: Redis[] = [];
  const buses: StreamBus[] = [];
  const node = async (nodeId: string, channelPrefix: string) => {
    const [pub, sub] = [createRedisClient(REDIS_URL, silentLogger()), createRedisClient(REDIS_URL, silentLogger())];
    clients.push(pub, sub);
    const bus = createRedisBus({ pub, sub, nodeId, channelPrefix, log: silentLogger() });
    buses.push(bus);
    await bus.ready;
    const got: StreamEvent[] = [];
    bus.subscribe((e) => got.push(e));
    return { bus, got };
  };
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    for (const c of clients) c.disconnect();
  });

  test("the publishing node's listeners get the event itself, once; the other node gets an equal copy", async () => {
    const prefix = uniqueName("hl_test_stream_bus");
    const a = await node("node-a", prefix);
    const b = await node("node-b", prefix);
    const event = { type: "trades", m: 0, pd: 2, sd: 4, trades: [{ id: 1, ts: 1_700_000_000_000, price: 250_000, size: 10_000, isMakerAsk: true, askAccountId: 1, bidAccountId: 2, kind: "trade" }] } as StreamEvent;
    a.bus.publish(event);
    expect(a.got).toHaveLength(1);
    expect(a.got[0]).toBe(event);
    await waitFor("the other node's copy", () => b.got.length === 1, { timeoutMs: 5_000 });
    expect(b.got[0]).toEqual(event);
    // A second event proves the first was not echoed back to its own node meanwhile.
    b.bus.publish({ ...event, m: 1 } as StreamEvent);
    await waitFor("node a hears node b", () => a.got.length === 2, { timeoutMs: 5_000 });
    expect(a.got.map((e) => e.m)).toEqual([0, 1]);
  });
});
