import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Redis from "ioredis";
import { createLogger, memorySink, silentLogger } from "../../src/lib/log.ts";
import { createRedisClient } from "../../src/store/redis/client.ts";
import { createBunBroadcaster, type BunPublishTarget } from "../../src/ws/broadcaster/bun.ts";
import { broadcasterContract, createInbox, type Inbox } from "../../src/ws/broadcaster/contract.ts";
import { createMemoryBroadcaster } from "../../src/ws/broadcaster/memory.ts";
import { bridgeChannel, createRedisBridge, type RedisBridge } from "../../src/ws/broadcaster/redis.ts";
import { hasRedis, REDIS_URL, uniqueName } from "../support/services.ts";
import { waitFor } from "./wait.ts";
import { manualTurns } from "../support/turns.ts";

const SUBSCRIBED = "__subscribed__";

/** A Bun server whose sockets subscribe to the topic named in their URL, and acknowledge it. */
function startTopicServer() {
  return Bun.serve({
    port: 0,
    fetch(req, server) {
      const topic = new URL(req.url).searchParams.get("topic") ?? "";
      return server.upgrade(req, { data: { topic } }) ? undefined : new Response("upgrade required", { status: 426 });
    },
    websocket: {
      data: {} as { topic: string },
      open(ws) {
        ws.subscribe(ws.data.topic);
        ws.send(SUBSCRIBED);
      },
      message() {},
    },
  });
}

/** A WebSocket client subscribed to `topic`; resolves after the server's acknowledgement. */
function connectSubscriber(port: number, topic: string, sockets: WebSocket[]): Promise<Inbox> {
  const inbox = createInbox();
  const ws = new WebSocket(`ws://127.0.0.1:${port}/?topic=${encodeURIComponent(topic)}`);
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.addEventListener("error", () => reject(new Error(`socket for ${topic} failed`)));
    ws.addEventListener("message", (event) => {
      const frame = String(event.data);
      if (frame === SUBSCRIBED) resolve(inbox);
      else inbox.push(frame);
    });
  });
}

broadcasterContract("memory broadcaster", async () => {
  const broadcaster = createMemoryBroadcaster();
  return {
    broadcaster,
    subscribe: async (topic) => {
      const inbox = createInbox();
      broadcaster.subscribe(topic, inbox.push);
      return inbox;
    },
    close: () => broadcaster.close(),
  };
});

describe("memory broadcaster specifics", () => {
  test("unsubscribe stops delivery to that subscriber only", () => {
    const b = createMemoryBroadcaster();
    const [kept, left] = [createInbox(), createInbox()];
    b.subscribe("trade/1", kept.push);
    const unsubscribe = b.subscribe("trade/1", left.push);
    b.publish("trade/1", "a");
    unsubscribe();
    b.publish("trade/1", "b");
    expect(kept.frames).toEqual(["a", "b"]);
    expect(left.frames).toEqual(["a"]);
  });

  test("a throwing subscriber counts as a drop and does not starve the others", () => {
    const b = createMemoryBroadcaster();
    const inbox = createInbox();
    b.subscribe("trade/1", () => {
      throw new Error("socket gone");
    });
    b.subscribe("trade/1", inbox.push);
    b.publish("trade/1", "x");
    b.publish("trade/2", "unheard");
    expect(inbox.frames).toEqual(["x"]);
    expect(b.stats).toEqual({ published: 2, dropped: 1, backpressured: 0, noSubscribers: 1 });
  });
});

describe("bun broadcaster", () => {
  let server: ReturnType<typeof startTopicServer>;
  const sockets: WebSocket[] = [];

  beforeAll(() => {
    server = startTopicServer();
  });
  afterAll(async () => {
    for (const ws of sockets) ws.close();
    await server.stop(true);
  });

  broadcasterContract("contract (real server, real sockets)", async () => ({
    broadcaster: createBunBroadcaster(server),
    subscribe: (topic) => connectSubscriber(server.port ?? 0, topic, sockets),
    close: async () => {},
  }));

  test("counts Bun's statuses: bytes sent, dropped, backpressure, and empty topics apart from drops", () => {
    const statuses = [12, 0, -1, 0];
    const calls: Array<[string, string, boolean | undefined]> = [];
    const fake: BunPublishTarget = {
      publish: (topic, data, compress) => (calls.push([topic, data, compress]), statuses.shift() ?? 0),
      subscriberCount: (topic) => (topic === "empty/1" ? 0 : 3),
    };
    const b = createBunBroadcaster(fake);
    b.publish("trade/1", "sent");
    b.publish("trade/1", "dropped");
    b.publish("trade/1", "queued");
    b.publish("empty/1", "nobody");
    expect(b.stats).toEqual({ published: 4, dropped: 1, backpressured: 1, noSubscribers: 1 });
    expect(calls[0]).toEqual(["trade/1", "sent", false]);
  });

  test("without subscriberCount, a 0 is counted as dropped (the conservative reading)", () => {
    const b = createBunBroadcaster({ publish: () => 0 });
    b.publish("trade/1", "x");
    expect(b.stats).toMatchObject({ dropped: 1, noSubscribers: 0 });
  });

  test("on a real server, a topic without sockets is not reported as a drop", () => {
    const b = createBunBroadcaster(server);
    b.publish(uniqueName("nobody"), "frame");
    expect(b.stats).toEqual({ published: 1, dropped: 0, backpressured: 0, noSubscribers: 1 });
  });

  test("after close, frames are discarded instead of reaching a stopping server", async () => {
    let published = 0;
    const b = createBunBroadcaster({ publish: () => ++published });
    await b.close();
    b.publish("trade/1", "late");
    expect(published).toBe(0);
  });
});

describe.skipIf(!hasRedis)("redis bridge", () => {
  const clients: Redis[] = [];
  const bridges: RedisBridge[] = [];
  const client = () => {
    const redis = createRedisClient(REDIS_URL, silentLogger());
    clients.push(redis);
    return redis;
  };
  /** One node: its own pub and sub connections and a memory broadcaster as its local sockets. */
  const startNode = async (nodeId: string, channelPrefix: string) => {
    const local = createMemoryBroadcaster();
    const bridge = createRedisBridge({ pub: client(), sub: client(), local, nodeId, channelPrefix, log: silentLogger() });
    bridges.push(bridge);
    await bridge.ready;
    return { bridge, local };
  };
  const localInbox = (local: ReturnType<typeof createMemoryBroadcaster>, topic: string) => {
    const inbox = createInbox();
    local.subscribe(topic, inbox.push);
    return inbox;
  };

  afterAll(async () => {
    await Promise.all(bridges.map((b) => b.close()));
    await Promise.all(clients.map((c) => c.quit().catch(() => {})));
  });

  // As a Broadcaster: publish on node A, subscribers on node B (the cross-node path).
  broadcasterContract("contract (publish on node A, subscribers on node B)", async () => {
    const prefix = uniqueName("hl_test_bus");
    const a = await startNode("node-a", prefix);
    const b = await startNode("node-b", prefix);
    return { broadcaster: a.bridge, subscribe: async (topic) => localInbox(b.local, topic), close: async () => {} };
  });

  test("two nodes: each frame reaches every node's sockets exactly once, own echoes ignored", async () => {
    const prefix = uniqueName("hl_test_bus");
    const a = await startNode("node-a", prefix);
    const b = await startNode("node-b", prefix);
    const [onA, onB, otherTopicOnB] = [localInbox(a.local, "trade/1"), localInbox(b.local, "trade/1"), localInbox(b.local, "trade/2")];

    a.bridge.publish("trade/1", "x");
    await onB.waitFor("x");
    // B publishes only after receiving x, so Redis delivers x before y to every subscriber. When
    // y reaches A, A's echo of x has already been through (and been ignored).
    b.bridge.publish("trade/1", "y");
    await onA.waitFor("y");
    expect(onA.frames).toEqual(["x", "y"]);
    // Same barrier the other way: when z reaches B, B's echo of y has been through.
    a.bridge.publish("trade/1", "z");
    await onB.waitFor("z");
    expect(onB.frames).toEqual(["x", "y", "z"]);
    expect(otherTopicOnB.frames).toEqual([]);
    // Nothing orders A's echo of z before z reaches B; once it has come back, it must have been skipped.
    await waitFor("A's echo of z", () => a.bridge.stats.echoes === 2, { timeoutMs: 2_000 });
    expect(onA.frames).toEqual(["x", "y", "z"]); // z once, from A's own local publish
    expect(a.bridge.stats).toMatchObject({ sent: 2, received: 1, echoes: 2, malformed: 0 });
    expect(b.bridge.stats).toMatchObject({ sent: 1, received: 2, echoes: 1, malformed: 0 });
  });

  test("nodes with a different channel prefix do not hear each other", async () => {
    const a = await startNode("node-a", uniqueName("hl_test_bus"));
    const b = await startNode("node-b", uniqueName("hl_test_bus"));
    const [onB] = [localInbox(b.local, "trade/1")];
    a.bridge.publish("trade/1", "other deployment");
    // Its echo proves A's message went through Redis, before B publishes anything.
    await waitFor("A's own echo", () => a.bridge.stats.echoes === 1, { timeoutMs: 2_000 });
    expect(a.bridge.stats.sendFailures).toBe(0);
    b.bridge.publish("trade/1", "own");
    await onB.waitFor("own");
    expect(onB.frames).toEqual(["own"]); // A's message went to a channel nobody on B's prefix listens to
  });

  test("a malformed message on the channel is counted and skipped", async () => {
    const prefix = uniqueName("hl_test_bus");
    const b = await startNode("node-b", prefix);
    const onB = localInbox(b.local, "trade/1");
    const raw = client();
    await raw.publish(bridgeChannel(prefix), "no separators at all");
    await raw.publish(bridgeChannel(prefix), "node-x\ntrade/1\nvalid");
    await onB.waitFor("valid");
    expect(onB.frames).toEqual(["valid"]);
    expect(b.bridge.stats.malformed).toBe(1);
  });

  test("the frames of one loop turn go out in order in one message, whatever they contain", async () => {
    const prefix = uniqueName("hl_test_bus");
    const a = await startNode("node-a", prefix);
    const b = await startNode("node-b", prefix);
    const [one, two] = [localInbox(b.local, "trade/1"), localInbox(b.local, "trade/2")];
    const sent = ["plain", "two\nlines", "", "é€😀 and \\n", "7\n3\nx"];
    for (const [i, frame] of sent.entries()) a.bridge.publish(i % 2 === 0 ? "trade/1" : "trade/2", frame);
    await one.waitFor("7\n3\nx");
    expect(one.frames).toEqual(["plain", "", "7\n3\nx"]);
    expect(two.frames).toEqual(["two\nlines", "é€😀 and \\n"]);
    expect(a.bridge.stats).toMatchObject({ sent: 5, messages: 1 });
    expect(b.bridge.stats).toMatchObject({ received: 5, malformed: 0 });

    // A lone frame in its turn goes as a message of its own, in the one-frame form.
    const raw = client();
    const seen: string[] = [];
    raw.on("message", (_channel: string, message: string) => void seen.push(message));
    await raw.subscribe(bridgeChannel(prefix));
    a.bridge.publish("trade/2", "alone");
    await two.waitFor("alone");
    expect(a.bridge.stats).toMatchObject({ sent: 6, messages: 2 });
    await waitFor("the raw subscriber's copy", () => seen.length === 1, { timeoutMs: 2_000 });
    expect(seen).toEqual(["node-a\ntrade/2\nalone"]);
  });

  test("a very large turn is split into several messages, still in order", async () => {
    const prefix = uniqueName("hl_test_bus");
    const a = await startNode("node-a", prefix);
    const b = await startNode("node-b", prefix);
    const inbox = localInbox(b.local, "trade/1");
    const frames = Array.from({ length: 1_200 }, (_, i) => `f${i}`);
    for (const f of frames) a.bridge.publish("trade/1", f);
    await inbox.waitFor("f1199");
    expect(inbox.frames).toEqual(frames);
    expect(a.bridge.stats.messages).toBe(3); // at most 512 frames per message

    // About a million characters also closes a message, at once: the third large frame passes it.
    const big = (c: string) => c.repeat(400_000);
    for (const c of ["x", "y", "z"]) a.bridge.publish("trade/1", big(c));
    expect(a.bridge.stats.messages).toBe(4);
    a.bridge.publish("trade/1", "after");
    await inbox.waitFor("after");
    expect(inbox.frames.slice(1_200)).toEqual([big("x"), big("y"), big("z"), "after"]);
    expect(a.bridge.stats.messages).toBe(5);
  });

  test("a batch message that does not parse whole is skipped whole and counted", async () => {
    const prefix = uniqueName("hl_test_bus");
    const b = await startNode("node-b", prefix);
    const onB = localInbox(b.local, "trade/1");
    const raw = client();
    const bus = bridgeChannel(prefix);
    await raw.publish(bus, "node-x\n\ntrade/1\n1\natrade/1\n9\nshort"); // second length past the end
    await raw.publish(bus, "node-x\n\ntrade/1\n1\na"); // one record: never sent as a batch
    await raw.publish(bus, "node-x\n\ntrade/1\nx\natrade/1\n1\nb"); // length not a number
    await raw.publish(bus, "node-x\n\ntrade/1\n1\na\n1\nb"); // an empty topic in the middle
    await raw.publish(bus, "node-x\n\ntrade/1\n1\natrade/1\n3\nb\nc");
    await onB.waitFor("b\nc");
    expect(onB.frames).toEqual(["a", "b\nc"]);
    expect(b.bridge.stats).toMatchObject({ malformed: 4, received: 2 });
  });

  test("a local delivery that throws costs only its own frame, alone or in a batch", async () => {
    const prefix = uniqueName("hl_test_bus");
    const a = await startNode("node-a", prefix);
    const got: string[] = [];
    const local = {
      kind: "memory" as const,
      publish(topic: string, frame: string) {
        if (topic === "bad") throw new Error("socket layer failed");
        got.push(frame);
      },
      close: async () => {},
    };
    const b = createRedisBridge({ pub: client(), sub: client(), local, nodeId: "node-b", channelPrefix: prefix, log: silentLogger() });
    bridges.push(b);
    await b.ready;
    a.bridge.publish("bad", "lost alone");
    await waitFor("the lone frame", () => b.stats.received === 1, { timeoutMs: 2_000 });
    a.bridge.publish("trade/1", "before");
    a.bridge.publish("bad", "lost in a batch");
    a.bridge.publish("trade/1", "after");
    await waitFor("the batch", () => got.includes("after"), { timeoutMs: 2_000 });
    expect(got).toEqual(["before", "after"]);
    expect(b.stats).toMatchObject({ received: 4, malformed: 0 });
  });

  test("the end-of-turn send runs when the injected scheduler says (the service's turn-end queue)", async () => {
    const prefix = uniqueName("hl_test_bus");
    const b = await startNode("node-b", prefix);
    const inbox = localInbox(b.local, "trade/1");
    const turns = manualTurns();
    const a = createRedisBridge({ pub: client(), sub: client(), local: createMemoryBroadcaster(), nodeId: "node-a", channelPrefix: prefix, log: silentLogger(), schedule: turns.schedule });
    bridges.push(a);
    await a.ready;
    a.publish("trade/1", "one");
    a.publish("trade/1", "two");
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(a.stats.messages).toBe(0); // a whole turn later, still waiting for its scheduler
    expect(turns.scheduled).toHaveLength(1);
    turns.turn();
    expect(a.stats.messages).toBe(1);
    await inbox.waitFor("two");
    expect(inbox.frames).toEqual(["one", "two"]);
  });

  test("close still sends what the current turn handed over", async () => {
    const prefix = uniqueName("hl_test_bus");
    const a = await startNode("node-a", prefix);
    const b = await startNode("node-b", prefix);
    const inbox = localInbox(b.local, "trade/1");
    a.bridge.publish("trade/1", "last");
    a.bridge.publish("trade/1", "words");
    const closing = a.bridge.close();
    expect(a.bridge.stats.messages).toBe(1); // sent by close itself, not left to the end of the turn
    await closing;
    await inbox.waitFor("words");
    expect(inbox.frames).toEqual(["last", "words"]);
  });

  test("when Redis is unreachable, local delivery still happens and the failure is counted and logged", async () => {
    const sink = memorySink();
    const log = createLogger({ level: "warn", sink });
    const dead = createRedisClient("redis://127.0.0.1:1", log);
    clients.push(dead);
    const local = createMemoryBroadcaster();
    const bridge = createRedisBridge({ pub: dead, sub: client(), local, nodeId: "node-a", channelPrefix: uniqueName("hl_test_bus"), log });
    bridges.push(bridge);
    const inbox = localInbox(local, "trade/1");
    bridge.publish("trade/1", "still local");
    expect(inbox.frames).toEqual(["still local"]); // synchronously, before Redis answers anything
    await waitFor("the send failure", () => bridge.stats.sendFailures === 1, { timeoutMs: 5_000 });
    await log.flush();
    expect(sink.lines.some((l) => l.includes("bridge.send_failed"))).toBe(true);
  });
});
