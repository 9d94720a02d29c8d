import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../lib/clock.ts";
import { silentLogger } from "../../lib/log.ts";
import { Backoff } from "./backoff.ts";
import { type SocketHandlers, WsSession } from "./ws-session.ts";

/** A scripted socket: records what the session sends and lets the test play the server. */
class FakeSocket {
  sent: string[] = [];
  closed: { code?: number; reason?: string } | null = null;
  constructor(readonly handlers: SocketHandlers) {}
  send(text: string) {
    this.sent.push(text);
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
  }
  types() {
    return this.sent.map((s) => (JSON.parse(s) as { type: string; channel?: string }));
  }
}

function setup(opts: { subscriptions?: string[]; sendBurst?: number; sendPerMinute?: number } = {}) {
  const clock = new ManualClock(0);
  const sockets: FakeSocket[] = [];
  const log: string[] = [];
  let session!: WsSession;
  session = new WsSession({
    wsUrl: "ws://test/stream",
    clock,
    log: silentLogger(),
    socketFactory: (_url, h) => {
      const s = new FakeSocket(h);
      sockets.push(s);
      return s;
    },
    pingIntervalMs: 30_000,
    silenceTimeoutMs: 75_000,
    stableAfterMs: 30_000,
    backoff: new Backoff({ baseMs: 250, capMs: 30_000, random: () => 0.5 }),
    sendBurst: opts.sendBurst,
    sendPerMinute: opts.sendPerMinute,
    subscriptions: () => opts.subscriptions ?? ["order_book/0", "trade/0"],
    onText: (text) => {
      if (text.includes('"connected"')) session.connectedFrame();
    },
    onConnecting: (attempt) => log.push(`connecting ${attempt}`),
    onConnected: (reconnect) => log.push(`connected ${reconnect}`),
    onDisconnected: (reason, delay) => log.push(`disconnected ${reason} ${delay}`),
  });
  const current = () => sockets[sockets.length - 1]!;
  const serverConnected = () => current().handlers.message('{"type":"connected","session_id":"s"}');
  return { clock, sockets, log, session, current, serverConnected };
}

describe("WsSession", () => {
  test("subscribes only after the connected frame", () => {
    const t = setup();
    t.session.start();
    t.current().handlers.open();
    expect(t.current().sent).toEqual([]);
    t.serverConnected();
    expect(t.current().types()).toEqual([{ type: "subscribe", channel: "order_book/0" }, { type: "subscribe", channel: "trade/0" }]);
    expect(t.log).toEqual(["connecting 0", "connected false"]);
  });

  test("sends a JSON ping every interval while traffic flows, and declares silence dead", () => {
    const t = setup({ subscriptions: [] });
    t.session.start();
    t.serverConnected();
    for (let i = 0; i < 4; i++) {
      t.clock.advance(30_000);
      t.current().handlers.message('{"type":"pong"}');
    }
    expect(t.current().types().filter((f) => f.type === "ping")).toHaveLength(4);
    expect(t.session.state).toBe("connected");
    t.clock.advance(75_000);
    expect(t.session.state).toBe("waiting");
    expect(t.log.at(-1)).toStartWith("disconnected 4003 silent for 75000 ms");
  });

  test("reconnects with growing jittered backoff, resubscribes, and resets after a stable period", () => {
    const t = setup();
    t.session.start();
    t.current().handlers.close(1006, ""); // never connected
    expect(t.log.at(-1)).toBe("disconnected 1006 closed by peer 125");
    t.clock.advance(125);
    t.current().handlers.close(1006, "");
    expect(t.log.at(-1)).toBe("disconnected 1006 closed by peer 250");
    t.clock.advance(250);
    t.serverConnected();
    expect(t.log.at(-1)).toBe("connected false");
    expect(t.current().types()).toHaveLength(2);
    t.clock.advance(30_000); // stable: backoff resets
    t.current().handlers.close(1001, "going away");
    expect(t.log.at(-1)).toBe("disconnected 1001 going away 125");
    t.clock.advance(125);
    t.serverConnected();
    expect(t.log.at(-1)).toBe("connected true");
    expect(t.sockets).toHaveLength(4);
  });

  test("a missing connected frame times out; events of an old socket are ignored", () => {
    const t = setup();
    t.session.start();
    const first = t.current();
    t.clock.advance(10_000);
    expect(t.session.state).toBe("waiting");
    expect(first.closed?.code).toBe(4000);
    first.handlers.close(1000, "late"); // ignored
    expect(t.log.filter((l) => l.startsWith("disconnected"))).toHaveLength(1);
  });

  test("outgoing frames are paced by the token bucket", () => {
    const t = setup({ subscriptions: ["a/1", "b/2", "c/3", "d/4"], sendBurst: 2, sendPerMinute: 60 });
    t.session.start();
    t.serverConnected();
    expect(t.current().sent).toHaveLength(2);
    t.clock.advance(1000);
    expect(t.current().sent).toHaveLength(3);
    t.clock.advance(1000);
    expect(t.current().sent).toHaveLength(4);
  });

  test("stop closes the socket and schedules nothing more", () => {
    const t = setup();
    t.session.start();
    t.serverConnected();
    t.session.stop();
    expect(t.current().closed).toEqual({ code: 1000, reason: "client stop" });
    expect(t.clock.pending).toBe(0);
  });
});
