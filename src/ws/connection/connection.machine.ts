/**
 * ConnectionActor: one per /ws socket. `unauthenticated (awaitingAuth → authenticating) → ready →
 * closing`, plus `closed` when the socket goes away first.
 *
 * - Every inbound frame first passes the message budget (30/s, burst 60): over budget it gets a
 *   `rate_limit_exceeded` error frame and is dropped; the third consecutive violation closes the
 *   socket (1008). A frame within budget resets the count and is raised as a `msg.*` event.
 * - The first message must be `auth`, within the auth deadline (from socket open). Frames sent
 *   while the key is being checked are queued and handled once authenticated (a client may
 *   pipeline auth and subscribe).
 * - Ready: subscriptions within the plan's limit; every PING_INTERVAL a ping (JSON and protocol),
 *   and a close (1008) when no pong of either kind arrives within PONG_TIMEOUT.
 *
 * Pure: durations are named delays read from the input, time arrives on events (`at`), the key
 * check is the `admit` actor supplied with `.provide()`, and every effect is an emitted event.
 */
import { and, assign, emit, enqueueActions, fromPromise, raise, setup } from "xstate";
import { tier } from "../../domain/tiers";
import type { ErrorCode } from "../../lib/errors";
import { WS_CLOSE, WS_MESSAGE_LIMITS } from "../protocol";
import { available, fullBucket, take, type TokenBucket } from "./inbound-rate";
import { isRefusal, resolveSubscribe, resolveUnsubscribe, type MarketDirectory, type Subscription, type SubscriptionLimits } from "./subscriptions";
import {
  messageOf,
  type AdmitResult,
  type ConnectionEmitted,
  type ConnectionEvent,
  type ConnectionInput,
  type ConnectionTiming,
  type MessageEvent,
  type Principal,
} from "./connection.events";

/** A connection's state: who it is, what it holds, its inbound budget. */
export interface ConnectionContext {
  connectionId: string;
  timing: ConnectionTiming;
  markets: MarketDirectory;
  principal: Principal | null;
  limits: SubscriptionLimits;
  subscriptions: ReadonlyMap<string, Subscription>;
  bucket: TokenBucket;
  /** Consecutive over-budget frames. */
  violations: number;
  /** Frames received while the key is being checked. */
  pending: MessageEvent[];
}

/** Most frames held while authenticating; more is abuse. */
const MAX_PENDING = 16;
const RULE = { perSecond: WS_MESSAGE_LIMITS.perSecond, burst: WS_MESSAGE_LIMITS.burst };

type FailParams = { code: ErrorCode; message: string; close: number; reason: string };

const at = (event: ConnectionEvent): number => ("at" in event ? event.at : 0);

const policy = (code: ErrorCode, message: string, reason: string): FailParams => ({ code, message, close: WS_CLOSE.policy, reason });

/** Every way the actor ends a session: the error frame it sends, then the close code and reason. */
const CLOSE = {
  rate: policy("rate_limit_exceeded", `closed after ${WS_MESSAGE_LIMITS.violationsBeforeClose} consecutive rate limit violations`, "rate limit violations"),
  authRequired: policy("unauthorized", 'the first message must be {"type":"auth","api_key":"hlt_…"}', "auth required"),
  earlyFlood: policy("bad_request", `more than ${MAX_PENDING} messages before authentication completed`, "too many early messages"),
  internal: { code: "internal_error", message: "authentication failed on the server; retry shortly", close: WS_CLOSE.internal, reason: "internal error" } satisfies FailParams,
  authTimeout: (ms: number) => policy("unauthorized", `no successful auth message within ${ms} ms of connecting`, "auth timeout"),
  pongTimeout: (ms: number) => policy("bad_request", `no pong within ${ms} ms of a ping`, "pong timeout"),
  refused: (output: unknown) => {
    const r = output as Extract<AdmitResult, { ok: false }>;
    return policy(r.code, r.message, r.code);
  },
};

/** The ConnectionActor's logic; the gateway provides `admit` and performs the emitted effects. */
export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
    emitted: {} as ConnectionEmitted,
  },
  actors: {
    /** Authenticates the key and takes a connection slot; supplied by the gateway. */
    admit: fromPromise<AdmitResult, { apiKey: string }>(async () => {
      throw new Error("connectionMachine: the admit actor must be provided");
    }),
  },
  delays: {
    AUTH_DEADLINE: ({ context }) => context.timing.authTimeoutMs,
    PING_INTERVAL: ({ context }) => context.timing.pingIntervalMs,
    PONG_TIMEOUT: ({ context }) => context.timing.pongTimeoutMs,
  },
  guards: {
    overBudget: ({ context, event }) => available(context.bucket, RULE, at(event)) < 1,
    lastStraw: ({ context }) => context.violations + 1 >= WS_MESSAGE_LIMITS.violationsBeforeClose,
    admitted: ({ event }) => (event as unknown as { output: AdmitResult }).output.ok,
    queueFull: ({ context }) => context.pending.length >= MAX_PENDING,
  },
  actions: {
    takeToken: assign(({ context, event }) => ({ bucket: take(context.bucket, RULE, at(event)), violations: 0 })),
    countViolation: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ violations: context.violations + 1 });
      enqueue.emit({
        type: "conn.send",
        frame: {
          type: "error",
          code: "rate_limit_exceeded",
          message: `message rate limit exceeded (${RULE.perSecond}/s, burst ${RULE.burst}); violation ${context.violations + 1} of ${WS_MESSAGE_LIMITS.violationsBeforeClose} closes the connection`,
        },
      });
    }),
    dispatch: raise(({ event }) => {
      if (event.type === "client.frame") return messageOf(event.frame, event.at);
      return { type: "msg.invalid" as const, message: event.type === "client.invalid" ? event.message : "invalid message", at: at(event) };
    }),
    fail: enqueueActions(({ enqueue }, p: FailParams) => {
      enqueue.emit({ type: "conn.send", frame: { type: "error", code: p.code, message: p.message } });
      enqueue.emit({ type: "conn.close", code: p.close, reason: p.reason });
    }),
    reply: emit((_, p: { code: ErrorCode; message: string }) => ({ type: "conn.send" as const, frame: { type: "error" as const, code: p.code, message: p.message } })),
    queue: assign(({ context, event }) => ({ pending: [...context.pending, event as MessageEvent] })),
    becomeReady: enqueueActions(({ context, event, enqueue }) => {
      const principal = (event as unknown as { output: Extract<AdmitResult, { ok: true }> }).output.principal;
      const plan = tier(principal.tier);
      const limits = { maxSubscriptions: plan.wsSubscriptionsPerConnection, attribution: plan.enrichedAttribution };
      enqueue.assign({ principal, limits, pending: [] });
      enqueue.emit({
        type: "conn.send",
        frame: { type: "authenticated", tier: principal.tier, max_subscriptions: limits.maxSubscriptions, connection_id: context.connectionId },
      });
      for (const queued of context.pending) enqueue.raise(queued);
    }),
    subscribe: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "msg.subscribe") return;
      const r = resolveSubscribe(event, context.subscriptions, context.limits, context.markets);
      if (isRefusal(r)) {
        enqueue.emit({ type: "conn.send", frame: { type: "error", code: r.code, message: r.message, channel: event.channel } });
        return;
      }
      enqueue.assign({ subscriptions: new Map(context.subscriptions).set(r.key, r.subscription) });
      enqueue.emit({ type: "conn.subscribe", topic: r.subscription.topic, view: r.view, ack: r.ack });
    }),
    unsubscribe: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "msg.unsubscribe") return;
      const r = resolveUnsubscribe(event, context.subscriptions, context.markets);
      if (isRefusal(r)) {
        enqueue.emit({ type: "conn.send", frame: { type: "error", code: r.code, message: r.message, channel: event.channel } });
        return;
      }
      const next = new Map(context.subscriptions);
      next.delete(r.key);
      enqueue.assign({ subscriptions: next });
      // Another subscription of this connection may share the topic (never today: keys and topics
      // are one to one per plan), so only the last one leaves it.
      if (![...next.values()].some((s) => s.topic === r.subscription.topic)) {
        enqueue.emit({ type: "conn.unsubscribe", topic: r.subscription.topic, ack: r.ack });
      } else enqueue.emit({ type: "conn.send", frame: r.ack });
    }),
    sendPong: emit(({ event }) => ({ type: "conn.send" as const, frame: { type: "pong" as const, timestamp: at(event) } })),
    ping: emit({ type: "conn.ping" as const }),
  },
}).createMachine({
  id: "connection",
  context: ({ input }) => ({
    connectionId: input.connectionId,
    timing: input.timing,
    markets: input.markets,
    principal: null,
    limits: { maxSubscriptions: 0, attribution: false },
    subscriptions: new Map(),
    bucket: fullBucket(RULE, input.openedAt),
    violations: 0,
    pending: [],
  }),
  initial: "unauthenticated",
  on: {
    // Same budget for well-formed and invalid frames: garbage must not be free.
    "client.frame": [
      { guard: and(["overBudget", "lastStraw"]), target: ".closing", actions: { type: "fail", params: CLOSE.rate } },
      { guard: "overBudget", actions: "countViolation" },
      { actions: ["takeToken", "dispatch"] },
    ],
    "client.invalid": [
      { guard: and(["overBudget", "lastStraw"]), target: ".closing", actions: { type: "fail", params: CLOSE.rate } },
      { guard: "overBudget", actions: "countViolation" },
      { actions: ["takeToken", "dispatch"] },
    ],
    "socket.closed": { target: ".closed" },
  },
  states: {
    unauthenticated: {
      initial: "awaitingAuth",
      after: {
        AUTH_DEADLINE: { target: "closing", actions: { type: "fail", params: ({ context }) => CLOSE.authTimeout(context.timing.authTimeoutMs) } },
      },
      states: {
        awaitingAuth: {
          on: {
            "msg.auth": { target: "authenticating" },
            "msg.*": { target: "#connection.closing", actions: { type: "fail", params: CLOSE.authRequired } },
          },
        },
        authenticating: {
          invoke: {
            src: "admit",
            input: ({ event }) => ({ apiKey: event.type === "msg.auth" ? event.apiKey : "" }),
            onDone: [
              { guard: "admitted", target: "#connection.ready", actions: "becomeReady" },
              { target: "#connection.closing", actions: { type: "fail", params: ({ event }) => CLOSE.refused(event.output) } },
            ],
            onError: { target: "#connection.closing", actions: { type: "fail", params: CLOSE.internal } },
          },
          on: {
            "msg.auth": { actions: { type: "reply", params: { code: "bad_request", message: "authentication already in progress" } } },
            "msg.*": [{ guard: "queueFull", target: "#connection.closing", actions: { type: "fail", params: CLOSE.earlyFlood } }, { actions: "queue" }],
          },
        },
      },
    },
    ready: {
      initial: "idle",
      states: {
        idle: {
          on: { "msg.pong": {}, "socket.pong": {} },
          after: { PING_INTERVAL: { target: "awaitingPong" } },
        },
        awaitingPong: {
          entry: "ping",
          on: { "msg.pong": { target: "idle" }, "socket.pong": { target: "idle" } },
          after: { PONG_TIMEOUT: { target: "#connection.closing", actions: { type: "fail", params: ({ context }) => CLOSE.pongTimeout(context.timing.pongTimeoutMs) } } },
        },
      },
      on: {
        "msg.auth": { actions: { type: "reply", params: { code: "bad_request", message: "already authenticated" } } },
        "msg.subscribe": { actions: "subscribe" },
        "msg.unsubscribe": { actions: "unsubscribe" },
        "msg.ping": { actions: "sendPong" },
        "msg.invalid": { actions: { type: "reply", params: ({ event }) => ({ code: "bad_request" as const, message: event.message }) } },
      },
    },
    closing: { type: "final" },
    closed: { type: "final" },
  },
});

/** The machine's type, for `Actor<ConnectionMachine>`. */
export type ConnectionMachine = typeof connectionMachine;
