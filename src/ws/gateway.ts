/**
 * /ws: socket ↔ ConnectionActor, and nothing else. The gateway parses inbound frames and forwards
 * them to the socket's actor, performs the effects the actor emits (send, subscribe, ping, close)
 * in order, and enforces the transport limits no actor can see: a socket whose send buffer grows
 * past the limit (a client that stopped reading) is closed 1008 "slow consumer".
 *
 * Mounted with Elysia's `.ws()` (so /ws sits in the route table beside /ws/replay and shares the
 * one Bun server), but all work happens on `ws.raw`, Bun's native ServerWebSocket: topic
 * subscribe/unsubscribe, sends with their backpressure result and buffered amount. Fan-out never
 * passes through here: frames reach sockets through `server.publish` in the Bun broadcaster.
 */
import { Elysia } from "elysia";
import { createActor, fromPromise, type Actor } from "xstate";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import { asClientFrame, WS_CLOSE, type ClientFrame } from "./protocol";
import type { Admit, WsAuthenticator } from "./auth";
import { invalidReason, newConnectionId, rawOf, watchKeys, type Raw, type UpgradeContext } from "./gateway-support";
import type { ConnectionQuota } from "./connection-quota";
import type { StreamFanout } from "./stream/fanout";
import { connectionMachine, type ConnectionMachine } from "./connection/connection.machine";
import type { AdmitResult, ConnectionEmitted, ConnectionTiming, Principal } from "./connection/connection.events";
import type { MarketDirectory } from "./connection/subscriptions";

/** What the gateway needs: time, limits, the fan-out, the market directory and admission. */
export interface GatewayDeps {
  clock: Clock;
  log: Logger;
  timing: ConnectionTiming;
  /** A socket with more than this many bytes waiting to be sent is a slow consumer. */
  sendBufferBytes: number;
  /** How often send buffers are checked. */
  slowConsumerCheckMs: number;
  fanout: StreamFanout;
  markets: MarketDirectory;
  admit: Admit;
  quota: ConnectionQuota;
  /** Re-checks the keys of open connections when keys change: a revoked key's sockets are closed. */
  keys?: Pick<WsAuthenticator, "recheck" | "onChange">;
  /** The client's address from the upgrade request (proxy-aware); default: the socket's address. */
  clientIp?: (request: Request, socketIp: string | undefined) => string | null;
  /** Called once per close with why (the server's reason, or "client" when the client left). */
  onClose?: (reason: string) => void;
}

/** Counters for /metrics. */
export interface GatewayStats {
  opened: number;
  inbound: number;
  invalid: number;
  sendBackpressured: number;
  sendDropped: number;
  slowConsumers: number;
}

/** The /ws route with its counters. */
export interface WsGateway {
  readonly plugin: Elysia;
  readonly stats: GatewayStats;
  /** Open sockets and the topics they hold. */
  readonly connections: number;
  readonly subscriptions: number;
  /** Closes every socket 1001 and stops the timers (graceful shutdown). */
  close(): void;
}

interface Conn {
  id: string;
  raw: Raw;
  ip: string | null;
  actor: Actor<ConnectionMachine>;
  topics: Set<string>;
  slot: { userId: string; release: () => Promise<void> } | null;
  principal: Principal | null;
  closed: boolean;
  closeReason: string | null;
}

export function createGateway(deps: GatewayDeps): WsGateway {
  const { clock, log, fanout } = deps;
  const conns = new Map<Raw, Conn>();
  const stats: GatewayStats = { opened: 0, inbound: 0, invalid: 0, sendBackpressured: 0, sendDropped: 0, slowConsumers: 0 };
  let subscriptions = 0;
  let shuttingDown = false;

  const closeConn = (c: Conn, code: number, reason: string) => {
    if (c.closed || c.closeReason !== null) return;
    c.closeReason = reason;
    c.raw.close(code, reason);
  };

  const slowConsumer = (c: Conn) => {
    if (c.closeReason !== null) return;
    stats.slowConsumers++;
    log.info("ws slow consumer closed", { connection: c.id, buffered: c.raw.getBufferedAmount() });
    closeConn(c, WS_CLOSE.policy, "slow consumer");
  };

  const send = (c: Conn, text: string) => {
    const status = c.raw.sendText(text);
    if (status === -1) stats.sendBackpressured++;
    else if (status === 0 && !c.closed) {
      stats.sendDropped++;
      slowConsumer(c);
    }
  };

  const perform = (c: Conn, e: ConnectionEmitted) => {
    if (c.closed) return;
    switch (e.type) {
      case "conn.send":
        send(c, JSON.stringify(e.frame));
        return;
      case "conn.subscribe": {
        // Topic first, then the ack, then the snapshot: every later frame of the topic follows
        // the snapshot in this socket's queue, and none that the snapshot already holds can.
        c.raw.subscribe(e.topic);
        if (!c.topics.has(e.topic)) {
          c.topics.add(e.topic);
          subscriptions++;
          fanout.retain(e.topic, e.view);
        }
        send(c, JSON.stringify(e.ack));
        const first = fanout.initialFrame(e.topic);
        if (first !== null) send(c, first);
        return;
      }
      case "conn.unsubscribe":
        c.raw.unsubscribe(e.topic);
        if (c.topics.delete(e.topic)) {
          subscriptions--;
          fanout.release(e.topic);
        }
        send(c, JSON.stringify(e.ack));
        return;
      case "conn.ping":
        send(c, JSON.stringify({ type: "ping", timestamp: clock.now() }));
        c.raw.ping();
        return;
      case "conn.close":
        closeConn(c, e.code, e.reason);
        return;
    }
  };

  const admitFor = (c: Conn) =>
    fromPromise<AdmitResult, { apiKey: string }>(async ({ input }) => {
      const admission = await deps.admit(input.apiKey, { connectionId: c.id, ip: c.ip });
      if (admission.result.ok) c.principal = admission.result.principal;
      if (admission.release) {
        // The socket may have gone while the key was being checked: give the slot straight back.
        if (c.closed) void admission.release().catch(() => {});
        else if (admission.result.ok) c.slot = { userId: admission.result.principal.userId, release: admission.release };
      }
      return admission.result;
    });

  const onOpen = (raw: Raw, ctx: UpgradeContext | undefined) => {
    if (shuttingDown) {
      raw.close(WS_CLOSE.goingAway, "server shutting down");
      return;
    }
    stats.opened++;
    const socketIp = raw.remoteAddress || undefined;
    const ip = deps.clientIp && ctx?.request ? deps.clientIp(ctx.request, ctx.server?.requestIP(ctx.request)?.address ?? socketIp) : (socketIp ?? null);
    const c: Conn = { id: newConnectionId(), raw, ip, actor: undefined as never, topics: new Set(), slot: null, principal: null, closed: false, closeReason: null };
    const logic = connectionMachine.provide({ actors: { admit: admitFor(c) } });
    c.actor = createActor(logic, { clock, input: { connectionId: c.id, timing: deps.timing, markets: deps.markets, openedAt: clock.now() } });
    c.actor.on("*", (e) => perform(c, e as ConnectionEmitted));
    c.actor.subscribe({ error: (err) => (log.error("ws connection actor failed", { connection: c.id, err }), closeConn(c, WS_CLOSE.internal, "internal error")) });
    conns.set(raw, c);
    c.actor.start();
  };

  const onMessage = (raw: Raw, message: unknown) => {
    const c = conns.get(raw);
    if (!c || c.closed) return;
    stats.inbound++;
    const at = clock.now();
    const frame: ClientFrame | null = typeof message === "object" && message !== null && !(message instanceof Uint8Array) ? asClientFrame(message) : null;
    if (frame) c.actor.send({ type: "client.frame", frame, at });
    else {
      stats.invalid++;
      c.actor.send({ type: "client.invalid", message: invalidReason(message), at });
    }
  };

  const onClose = (raw: Raw) => {
    const c = conns.get(raw);
    if (!c) return;
    conns.delete(raw);
    c.closed = true;
    // Bun has already unsubscribed the socket from its topics; the views lose one holder each.
    for (const topic of c.topics) fanout.release(topic);
    subscriptions -= c.topics.size;
    c.topics.clear();
    c.actor.send({ type: "socket.closed" });
    c.actor.stop();
    if (c.slot) void c.slot.release().catch((err) => log.warn("ws connection slot release failed", { err }));
    deps.onClose?.(c.closeReason ?? "client");
  };

  if (deps.keys) {
    watchKeys(deps.keys, () => conns.values(), (conn, why) => {
      const c = conn as Conn;
      send(c, JSON.stringify({ type: "error", code: why.code, message: why.message }));
      closeConn(c, WS_CLOSE.policy, why.code);
    }, log);
  }

  const sweep = () => {
    for (const c of conns.values()) if (c.raw.getBufferedAmount() > deps.sendBufferBytes) slowConsumer(c);
    sweepTimer = clock.setTimeout(sweep, deps.slowConsumerCheckMs);
  };
  let sweepTimer: unknown = clock.setTimeout(sweep, deps.slowConsumerCheckMs);

  const renewEvery = deps.quota.renewEveryMs;
  const renew = () => {
    const slots = [...conns.values()].flatMap((c) => (c.slot ? [{ userId: c.slot.userId, connectionId: c.id }] : []));
    deps.quota.renew(slots).catch((err) => log.warn("ws connection slot renewal failed", { err }));
    renewTimer = clock.setTimeout(renew, renewEvery ?? 0);
  };
  let renewTimer: unknown = renewEvery === null ? null : clock.setTimeout(renew, renewEvery);

  const plugin = new Elysia({ name: "ws.gateway" }).ws("/ws", {
    detail: { tags: ["WebSocket"], summary: "Live streams (see docs/websocket.md)" },
    open: (ws) => onOpen(rawOf(ws), (ws as { data?: UpgradeContext }).data),
    message: (ws, message) => onMessage(rawOf(ws), message),
    close: (ws) => onClose(rawOf(ws)),
    pong: (ws) => {
      const c = conns.get(rawOf(ws));
      if (c && !c.closed) c.actor.send({ type: "socket.pong" });
    },
  });

  return {
    plugin: plugin as unknown as Elysia,
    stats,
    get connections() {
      return conns.size;
    },
    get subscriptions() {
      return subscriptions;
    },
    close() {
      shuttingDown = true;
      clock.clearTimeout(sweepTimer);
      if (renewTimer !== null) clock.clearTimeout(renewTimer);
      for (const c of [...conns.values()]) closeConn(c, WS_CLOSE.goingAway, "server shutting down");
    },
  };
}
