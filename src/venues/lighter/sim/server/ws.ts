/**
 * The `/stream` session (reference §C.1): `connected` with a session id on open, subscribe /
 * unsubscribe with slash channel names answered in colon form, JSON ping → pong, flat error frames
 * (30003 already subscribed, 23001 too many subscriptions). A subscription sends its snapshot
 * directly and then joins the Bun topic of the same (colon) name, synchronously, so no update can
 * fall between the two. Protocol-level pings are answered by Bun itself.
 */
import type { ServerWebSocket, WebSocketHandler } from "bun";
import { parseChannel, toServerChannel } from "../../protocol.ts";
import type { Exchange } from "../engine/exchange.ts";
import { accountFrame, bookSnapshot, heightFrame, statsFrame, tradeSnapshot } from "./frames.ts";
import type { Outbox, SocketData } from "./outbox.ts";

/** Every socket also joins this topic (server pings). */
export const ALL_SOCKETS_TOPIC = "__all__";
const MAX_SUBSCRIPTIONS = 500;

/** WS error codes (reference §F.2, and two the simulator adds where the venue's are unknown). */
export const WS_ERRORS = {
  tooManySubscriptions: 23001,
  alreadySubscribed: 30003,
  /** Simulator's own: no such channel or argument. */
  invalidChannel: 30005,
  /** Simulator's own: unsubscribe of a channel not subscribed. */
  notSubscribed: 30006,
  /** Simulator's own: unparseable or unknown message. */
  invalidMessage: 30000,
} as const;

const errorFrame = (code: number, message: string): string => JSON.stringify({ type: "error", code, message });

/** What the session needs from the simulator. */
export interface WsContext {
  ex: Exchange;
  out: Outbox;
  /** Brings the engine to the present before a snapshot is taken. */
  sync(): void;
}

/** Builds the snapshot of a channel, or null when the channel or its argument is unknown. */
function snapshot(ctx: WsContext, channel: string): string | null {
  const { ex } = ctx;
  const { name, args } = parseChannel(channel);
  const arg = args[0];
  const marketOf = () => (args.length === 1 && /^\d+$/.test(arg ?? "") ? ex.market(Number(arg)) : undefined);
  switch (name) {
    case "order_book": {
      const m = marketOf();
      return m ? bookSnapshot(ex, m) : null;
    }
    case "trade": {
      const m = marketOf();
      return m ? tradeSnapshot(ex, m) : null;
    }
    case "market_stats": {
      if (arg === "all" && args.length === 1) return statsFrame(ex, "subscribed/market_stats", null);
      const m = marketOf();
      return m ? statsFrame(ex, "subscribed/market_stats", m) : null;
    }
    case "height":
      return args.length === 0 ? heightFrame(ex, "subscribed/height") : null;
    case "account_all": {
      const acct = args.length === 1 && /^\d+$/.test(arg ?? "") ? ex.accounts.get(Number(arg)) : undefined;
      return acct ? accountFrame(ex, "subscribed/account_all", acct) : null;
    }
    default:
      return null;
  }
}

function onSubscribe(ctx: WsContext, ws: ServerWebSocket<SocketData>, channel: string): void {
  const topic = toServerChannel(channel);
  if (ws.data.topics.has(topic)) return ctx.out.send(ws, errorFrame(WS_ERRORS.alreadySubscribed, `Already Subscribed to : ${topic}`));
  if (ws.data.topics.size >= MAX_SUBSCRIPTIONS) return ctx.out.send(ws, errorFrame(WS_ERRORS.tooManySubscriptions, "Too Many Subscriptions"));
  ctx.sync();
  const frame = snapshot(ctx, channel);
  if (frame === null) return ctx.out.send(ws, errorFrame(WS_ERRORS.invalidChannel, `Invalid Channel : ${channel}`));
  ctx.out.send(ws, frame);
  ctx.out.subscribed(ws, topic);
}

function onUnsubscribe(ctx: WsContext, ws: ServerWebSocket<SocketData>, channel: string): void {
  const topic = toServerChannel(channel);
  if (!ws.data.topics.has(topic)) return ctx.out.send(ws, errorFrame(WS_ERRORS.notSubscribed, `Not Subscribed to : ${topic}`));
  ctx.out.unsubscribed(ws, topic);
  ctx.out.send(ws, JSON.stringify({ type: "unsubscribed", channel: topic }));
}

/** The Bun WebSocket handlers of `/stream`. */
export function wsHandlers(ctx: WsContext): WebSocketHandler<SocketData> {
  return {
    // The venue drops a connection after about 2 minutes without client traffic (reference §C.1).
    idleTimeout: 120,
    perMessageDeflate: false,
    backpressureLimit: 64 * 1024 * 1024,
    open(ws) {
      ctx.out.sockets.add(ws);
      ws.subscribe(ALL_SOCKETS_TOPIC);
      ctx.out.send(ws, JSON.stringify({ type: "connected", session_id: ws.data.sessionId }));
    },
    message(ws, raw) {
      let msg: unknown;
      try {
        msg = JSON.parse(typeof raw === "string" ? raw : raw.toString("utf8"));
      } catch {
        return ctx.out.send(ws, errorFrame(WS_ERRORS.invalidMessage, "Invalid JSON"));
      }
      const m = (typeof msg === "object" && msg !== null ? msg : {}) as { type?: unknown; channel?: unknown };
      switch (m.type) {
        case "ping":
          return ctx.out.send(ws, JSON.stringify({ type: "pong" }));
        case "pong":
          return;
        case "subscribe":
        case "unsubscribe":
          if (typeof m.channel !== "string" || m.channel === "") {
            return ctx.out.send(ws, errorFrame(WS_ERRORS.invalidChannel, "Invalid Channel"));
          }
          return m.type === "subscribe" ? onSubscribe(ctx, ws, m.channel) : onUnsubscribe(ctx, ws, m.channel);
        default:
          return ctx.out.send(ws, errorFrame(WS_ERRORS.invalidMessage, `Invalid message type: ${String(m.type)}`));
      }
    },
    close(ws) {
      ctx.out.closed(ws);
    },
  };
}
