/**
 * /ws/replay: socket ↔ ReplayActor. The gateway authenticates the first message with the same key
 * check as /ws (WsAuthenticator), holds one replay slot of the account per running session
 * (concurrent replays, not stream connections), forwards controls to the session's actor and
 * performs what it emits, in order, with flow control:
 *
 * - every frame goes through one ordered path; while the socket's buffered amount is above
 *   `highWaterBytes`, frames wait in a small outbox (at most one actor batch) and the actor is told
 *   `socket.blocked`, so it stops delivering and stops reading pages; on drain the outbox is
 *   flushed and the actor hears `socket.drained`. Nothing is ever dropped or buffered unboundedly.
 * - when the client goes, the actor is stopped (pending reads and timers are cancelled) and the
 *   slot is released.
 */
import { Elysia } from "elysia";
import type { ServerWebSocket } from "bun";
import { createActor, type Actor } from "xstate";
import { tier } from "../../domain/tiers";
import { AppError } from "../../lib/errors";
import type { Clock } from "../../lib/clock";
import type { Logger } from "../../lib/log";
import { checkSpeed, isRefusal, parseReplayTime, replayDisabled, resolveReplayRequest } from "../../actors/replay/request";
import { replayLogic, type ReplaySourceDeps } from "../../actors/replay/replay.actors";
import type { ReplayMachine } from "../../actors/replay/replay.machine";
import type { ReplayEmitted } from "../../actors/replay/replay.events";
import { completeFrame } from "../../actors/replay/render";
import type { WsAuthenticator } from "../auth";
import type { ConnectionQuota } from "../connection-quota";
import type { Principal } from "../connection/connection.events";
import { WS_CLOSE } from "../protocol";
import { parseReplayFrame, type ReplayClientFrame, type ReplayControlFrame, type ReplayRequestFrame } from "./protocol";

/** What the replay gateway needs. */
export interface ReplayGatewayDeps extends ReplaySourceDeps {
  clock: Clock;
  log: Logger;
  authenticator: WsAuthenticator;
  /** Replay slots per account (concurrent replays), separate from stream connection slots. */
  quota: ConnectionQuota;
  authTimeoutMs: number;
  /** Buffered bytes above which delivery pauses (default 1 MiB; keep well under Bun's backpressureLimit). */
  highWaterBytes?: number;
  clientIp?: (request: Request, socketIp: string | undefined) => string | null;
}

/** Counters for /metrics and tests. */
export interface ReplayStats {
  opened: number;
  sessions: number;
  eventsSent: number;
  blocked: number;
  dropped: number;
}

/** The /ws/replay route. */
export interface ReplayGateway {
  readonly plugin: Elysia;
  readonly stats: ReplayStats;
  /** Open replay sockets, and sessions running now. */
  readonly connections: number;
  readonly activeSessions: number;
  /** Replay slots held by this node's sessions (for lease renewal). */
  slots(): Array<{ userId: string; connectionId: string }>;
  close(): void;
}

type Raw = ServerWebSocket<unknown>;
interface Conn {
  id: string;
  raw: Raw;
  ip: string | null;
  principal: Principal | null;
  authing: boolean;
  authTimer: unknown;
  actor: Actor<ReplayMachine> | null;
  starting: boolean;
  /** Controls received while the session was being admitted, handed to it once it runs. */
  early: ReplayClientFrame[];
  slot: string | null;
  sessions: number;
  outbox: Array<{ text: string; head: boolean }>;
  blocked: boolean;
  pollTimer: unknown;
  closed: boolean;
}

const rawOf = (ws: object): Raw => ((ws as { raw?: Raw }).raw ?? ws) as Raw;
type UpgradeContext = { request?: Request; server?: { requestIP(r: Request): { address: string } | null } | null };
const HINT = '{"type":"replay","market_id":0,"start":"2026-01-01T00:00:00Z","speed":10}';

/** Creates the /ws/replay gateway. */
export function createReplayGateway(deps: ReplayGatewayDeps): ReplayGateway {
  const { clock, log } = deps;
  const high = deps.highWaterBytes ?? 1024 * 1024;
  const logic = replayLogic(deps);
  const conns = new Map<Raw, Conn>();
  const stats: ReplayStats = { opened: 0, sessions: 0, eventsSent: 0, blocked: 0, dropped: 0 };
  let shuttingDown = false;


  const active = (c: Conn) => c.starting || (c.actor !== null && c.actor.getSnapshot().status === "active");

  const rawSend = (c: Conn, text: string, head: boolean) => {
    if (c.raw.sendText(head ? completeFrame(text, clock.now()) : text) === 0) stats.dropped++;
    if (head) stats.eventsSent++;
  };
  const block = (c: Conn) => {
    if (c.blocked) return;
    c.blocked = true;
    stats.blocked++;
    c.actor?.send({ type: "socket.blocked" });
    // Bun's drain callback is the signal; the poll is a safety net, not a busy loop.
    const poll = () => ((c.pollTimer = null), flush(c), c.blocked && !c.closed && (c.pollTimer = clock.setTimeout(poll, 25)));
    c.pollTimer = clock.setTimeout(poll, 25);
  };
  const flush = (c: Conn) => {
    if (c.closed) return;
    while (c.outbox.length > 0 && c.raw.getBufferedAmount() <= high) {
      const next = c.outbox.shift() as { text: string; head: boolean };
      rawSend(c, next.text, next.head);
    }
    if (c.blocked && c.outbox.length === 0 && c.raw.getBufferedAmount() <= high) {
      c.blocked = false;
      if (c.pollTimer !== null) clock.clearTimeout(c.pollTimer);
      c.pollTimer = null;
      c.actor?.send({ type: "socket.drained" });
    }
  };
  /** The one ordered path every frame takes. */
  const write = (c: Conn, text: string, head = false) => {
    if (c.closed) return;
    if (c.outbox.length > 0 || c.raw.getBufferedAmount() > high) {
      c.outbox.push({ text, head });
      block(c);
      return;
    }
    rawSend(c, text, head);
    if (c.raw.getBufferedAmount() > high) block(c);
  };
  const sendFrame = (c: Conn, frame: ReplayControlFrame) => write(c, JSON.stringify(frame));
  const refuse = (c: Conn, code: string, message: string) => sendFrame(c, { type: "error", code, message });
  const fail = (c: Conn, code: string, message: string, reason: string) => {
    refuse(c, code, message);
    c.raw.close(WS_CLOSE.policy, reason);
  };

  const releaseSlot = (c: Conn) => {
    const slot = c.slot;
    if (slot === null || c.principal === null) return;
    c.slot = null;
    deps.quota.release(c.principal.userId, slot).catch((err) => log.warn("replay slot release failed", { err }));
  };

  const perform = (c: Conn, e: ReplayEmitted) => {
    if (e.type === "replay.send") return sendFrame(c, e.frame);
    for (const head of e.heads) write(c, head, true);
  };

  const authenticate = async (c: Conn, apiKey: string) => {
    c.authing = true;
    let principal: Principal | AppError;
    try {
      principal = await deps.authenticator.authenticate(apiKey, c.ip);
    } catch (err) {
      log.error("replay auth failed", { err });
      return fail(c, "internal_error", "authentication failed on the server; retry shortly", "internal error");
    } finally {
      c.authing = false;
    }
    if (c.closed) return;
    if (principal instanceof AppError) return fail(c, principal.code, principal.message, principal.code);
    const plan = tier(principal.tier);
    if (plan.replayWindowDays === 0) {
      const r = replayDisabled(principal.tier);
      return fail(c, r.code, r.message, "replay not in plan");
    }
    clock.clearTimeout(c.authTimer);
    c.principal = principal;
    sendFrame(c, {
      type: "authenticated", tier: principal.tier, connection_id: c.id,
      max_replay_window_days: plan.replayWindowDays, max_concurrent_replays: tier(principal.plan).concurrentReplays,
    });
  };

  const startReplay = async (c: Conn, p: Principal, frame: ReplayRequestFrame) => {
    if (active(c)) return refuse(c, "conflict", 'a replay is already active on this connection: send {"type":"stop"} first (one replay per connection)');
    const request = resolveReplayRequest(frame, p.tier, clock.now());
    if (isRefusal(request)) return refuse(c, request.code, request.message);
    c.starting = true;
    const plan = tier(p.plan);
    const slot = `${c.id}:${++c.sessions}`;
    let acquired = false;
    try {
      acquired = await deps.quota.acquire(p.userId, slot, plan.concurrentReplays);
    } catch (err) {
      log.warn("replay slot store unavailable; starting without counting", { err });
      acquired = true;
    } finally {
      c.starting = false;
    }
    if (!acquired || c.closed) c.early = [];
    if (c.closed) return void (acquired && deps.quota.release(p.userId, slot).catch(() => {}));
    if (!acquired) {
      const n = plan.concurrentReplays;
      return refuse(c, "forbidden", `concurrent replay limit reached: the ${plan.name} plan allows ${n} concurrent replay${n === 1 ? "" : "s"} per account; stop one first`);
    }
    c.slot = slot;
    stats.sessions++;
    const actor = createActor(logic, { clock, input: { request, now: () => clock.now() } });
    c.actor = actor;
    actor.on("*", (e) => perform(c, e as ReplayEmitted));
    actor.subscribe({
      complete: () => releaseSlot(c),
      error: (err) => (log.error("replay actor failed", { connection: c.id, err }), releaseSlot(c), refuse(c, "internal_error", "replay failed on the server")),
    });
    actor.start();
    actor.send({ type: "replay.start" });
    for (const frame of c.early.splice(0)) control(c, frame);
  };

  const control = (c: Conn, frame: ReplayClientFrame) => {
    if (c.starting) return void (c.early.length < 16 ? c.early.push(frame) : refuse(c, "bad_request", "too many controls before the replay started"));
    const actor = c.actor;
    if (!actor || actor.getSnapshot().status !== "active") return refuse(c, "bad_request", `no active replay on this connection: start one with ${HINT}`);
    if (frame.type === "seek") {
      const ts = parseReplayTime("ts", frame.ts);
      return isRefusal(ts) ? refuse(c, ts.code, ts.message) : actor.send({ type: "replay.seek", ts });
    }
    if (frame.type === "set_speed") {
      const bad = checkSpeed(frame.speed);
      return bad ? refuse(c, bad.code, bad.message) : actor.send({ type: "replay.set_speed", speed: frame.speed });
    }
    if (frame.type === "pause" || frame.type === "resume" || frame.type === "stop") actor.send({ type: `replay.${frame.type}` });
  };

  const onMessage = (c: Conn, message: unknown) => {
    const frame = parseReplayFrame(message);
    const p = c.principal;
    if (p === null) {
      if (typeof frame !== "string" && frame.type === "auth" && !c.authing) return void authenticate(c, frame.api_key);
      if (c.authing) return refuse(c, "bad_request", "authentication in progress: wait for the authenticated frame");
      return fail(c, "unauthorized", 'the first message must be {"type":"auth","api_key":"hlt_…"}', "auth required");
    }
    if (typeof frame === "string") return refuse(c, "bad_request", frame);
    switch (frame.type) {
      case "auth":
        return refuse(c, "bad_request", "already authenticated");
      case "ping":
        return sendFrame(c, { type: "pong", timestamp: clock.now() });
      case "replay":
        return void startReplay(c, p, frame).catch((err) => (log.error("replay start failed", { err }), refuse(c, "internal_error", "replay failed on the server")));
      default:
        return control(c, frame);
    }
  };

  const onOpen = (raw: Raw, ctx: UpgradeContext | undefined) => {
    if (shuttingDown) return raw.close(WS_CLOSE.goingAway, "server shutting down");
    stats.opened++;
    const socketIp = raw.remoteAddress || undefined;
    const ip = deps.clientIp && ctx?.request ? deps.clientIp(ctx.request, ctx.server?.requestIP(ctx.request)?.address ?? socketIp) : (socketIp ?? null);
    const c: Conn = {
      id: `rp_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`, raw, ip, principal: null, authing: false, authTimer: null,
      actor: null, starting: false, early: [], slot: null, sessions: 0, outbox: [], blocked: false, pollTimer: null, closed: false,
    };
    c.authTimer = clock.setTimeout(() => {
      if (c.principal === null && !c.closed) fail(c, "unauthorized", `no successful auth message within ${deps.authTimeoutMs} ms of connecting`, "auth timeout");
    }, deps.authTimeoutMs);
    conns.set(raw, c);
  };

  const onClose = (raw: Raw) => {
    const c = conns.get(raw);
    if (!c) return;
    conns.delete(raw);
    c.closed = true;
    c.outbox = [];
    clock.clearTimeout(c.authTimer);
    if (c.pollTimer !== null) clock.clearTimeout(c.pollTimer);
    c.actor?.stop();
    releaseSlot(c);
  };

  const plugin = new Elysia({ name: "ws.replay" }).ws("/ws/replay", {
    detail: { tags: ["WebSocket"], summary: "Backtesting replay (see docs/replay.md)" },
    open: (ws) => onOpen(rawOf(ws), (ws as { data?: UpgradeContext }).data),
    message: (ws, message) => {
      const c = conns.get(rawOf(ws));
      if (c && !c.closed) onMessage(c, message);
    },
    drain: (ws) => {
      const c = conns.get(rawOf(ws));
      if (c) flush(c);
    },
    close: (ws) => onClose(rawOf(ws)),
  });

  return {
    plugin: plugin as unknown as Elysia,
    stats,
    get connections() {
      return conns.size;
    },
    get activeSessions() {
      return [...conns.values()].filter(active).length;
    },
    slots: () => [...conns.values()].flatMap((c) => (c.slot !== null && c.principal ? [{ userId: c.principal.userId, connectionId: c.slot }] : [])),
    close() {
      shuttingDown = true;
      for (const c of [...conns.values()]) c.raw.close(WS_CLOSE.goingAway, "server shutting down");
    },
  };
}
