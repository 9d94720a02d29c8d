/**
 * What a ConnectionActor consumes (socket events from the gateway, and `msg.*` events it raises to
 * itself once a frame has passed the rate check) and what it emits (effects the gateway performs on
 * the socket). The gateway holds no rules: it parses frames, forwards them here and executes the
 * emitted effects in order.
 */
import type { ErrorCode } from "../../lib/errors";
import type { TierId } from "../../domain/tiers";
import type { ClientFrame, ControlFrame, SubscribedFrame, UnsubscribedFrame } from "../protocol";
import type { View } from "../topics";
import type { MarketDirectory } from "./subscriptions";

/** Who a connection belongs to, once authenticated. */
export interface Principal {
  keyId: string;
  userId: string;
  /** The key's effective tier (never above the plan): subscriptions and attribution follow it. */
  tier: TierId;
  /** The account's plan: concurrent connections are counted per account against it. */
  plan: TierId;
}

/** Result of the `admit` step (authenticate the key, then take a connection slot of its account). */
export type AdmitResult = { ok: true; principal: Principal } | { ok: false; code: ErrorCode; message: string };

/** Durations of one connection (from config; tests use short ones). */
export interface ConnectionTiming {
  authTimeoutMs: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
}

/** What a ConnectionActor is created with. */
export interface ConnectionInput {
  connectionId: string;
  timing: ConnectionTiming;
  markets: MarketDirectory;
  /** Socket time at open (ms): starts the inbound message budget. */
  openedAt: number;
}

type Stamped = { at: number };

/** Events the gateway sends. */
export type SocketEvent =
  /** A well-formed client frame. */
  | ({ type: "client.frame"; frame: ClientFrame } & Stamped)
  /** A message that is not JSON or not a known client frame. */
  | ({ type: "client.invalid"; message: string } & Stamped)
  /** A WebSocket protocol pong. */
  | { type: "socket.pong" }
  /** The socket is gone (closed by either side). */
  | { type: "socket.closed" };

/** Events the actor raises to itself after the rate check (stamped with the frame's arrival). */
export type MessageEvent = Stamped &
  (
    | { type: "msg.auth"; apiKey: string }
    | { type: "msg.subscribe"; channel: string; tick_size?: string | number }
    | { type: "msg.unsubscribe"; channel: string; tick_size?: string | number }
    | { type: "msg.ping" }
    | { type: "msg.pong" }
    | { type: "msg.invalid"; message: string }
  );

/** Every event a ConnectionActor handles. */
export type ConnectionEvent = SocketEvent | MessageEvent;

/** Effects, in the order the gateway must perform them. */
export type ConnectionEmitted =
  | { type: "conn.send"; frame: ControlFrame }
  /** Subscribe the socket to `topic`, then send `ack`, then the view's snapshot if it has one. */
  | { type: "conn.subscribe"; topic: string; view: View; ack: SubscribedFrame }
  | { type: "conn.unsubscribe"; topic: string; ack: UnsubscribedFrame }
  /** Send a JSON ping and a protocol ping; either pong answers. */
  | { type: "conn.ping" }
  | { type: "conn.close"; code: number; reason: string };

/** Maps a validated client frame, received at `at`, to the event raised for it. */
export function messageOf(frame: ClientFrame, at: number): MessageEvent {
  switch (frame.type) {
    case "auth":
      return { type: "msg.auth", apiKey: frame.api_key, at };
    case "subscribe":
      return { type: "msg.subscribe", channel: frame.channel, tick_size: frame.tick_size, at };
    case "unsubscribe":
      return { type: "msg.unsubscribe", channel: frame.channel, tick_size: frame.tick_size, at };
    case "ping":
      return { type: "msg.ping", at };
    case "pong":
      return { type: "msg.pong", at };
  }
}
