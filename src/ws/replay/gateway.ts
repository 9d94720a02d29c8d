/**
 * /ws/replay: the connections. The gateway authenticates the first message with the same key
 * check as /ws (WsAuthenticator), routes the frames that follow to the connection's session
 * (sessions.ts) and writes through the connection's outbox (outbox.ts). It holds no replay rules.
 *
 * A key that stops being valid (revoked, disabled, expired — on any node) ends its connections the
 * way /ws does (the same key watch): the running session stops, the queued frames are dropped, an
 * error frame names the reason and the socket closes 1008. When the client goes, its session is
 * stopped (pending reads and timers cancelled) and the slot released.
 */
import { Elysia } from "elysia";
import type { Actor } from "xstate";
import { tier } from "../../domain/tiers";
import { AppError } from "../../lib/errors";
import type { Clock } from "../../lib/clock";
import type { Logger } from "../../lib/log";
import { replayDisabled } from "../../actors/replay/request";
import { replayLogic, type ReplaySourceDeps } from "../../actors/replay/replay.actors";
import type { ReplayMachine } from "../../actors/replay/replay.machine";
import type { WsAuthenticator } from "../auth";
import type { ConnectionQuota } from "../connection-quota";
import type { Principal } from "../connection/connection.events";
import { rawOf, watchKeys, type Raw, type UpgradeContext } from "../gateway-support";
import { WS_CLOSE } from "../protocol";
import { createOutbox } from "./outbox";
import { parseReplayFrame, type ReplayClientFrame } from "./protocol";
import { createSessions, type SessionConn } from "./sessions";
import { newReplayStats, type ReplayStats } from "./stats";

/** What the replay gateway needs. */
export interface ReplayGatewayDeps extends ReplaySourceDeps {
  clock: Clock;
  log: Logger;
  /** Authenticates auth frames and re-checks open connections' keys when keys change. */
  authenticator: WsAuthenticator;
  /** Replay slots per account (concurrent replays), separate from stream connection slots. */
  quota: ConnectionQuota;
  authTimeoutMs: number;
  /** Buffered bytes above which delivery pauses (default 1 MiB; keep well under Bun's backpressureLimit). */
  highWaterBytes?: number;
  clientIp?: (request: Request, socketIp: string | undefined) => string | null;
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

interface Conn extends SessionConn {
  raw: Raw;
  ip: string | null;
  authing: boolean;
  authTimer: unknown;
}

/** Creates the /ws/replay gateway. */
export function createReplayGateway(deps: ReplayGatewayDeps): ReplayGateway {
  const { clock, log } = deps;
  const high = deps.highWaterBytes ?? 1024 * 1024;
  const conns = new Map<Raw, Conn>();
  const stats = newReplayStats();
  const sessions = createSessions({ clock, log, quota: deps.quota, logic: replayLogic(deps), stats });
  const { refuse, sendFrame } = sessions;
  let shuttingDown = false;

  const fail = (c: Conn, code: string, message: string, reason: string) => {
    refuse(c, code, message);
    c.raw.close(WS_CLOSE.policy, reason);
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
        return void sessions.start(c, p, frame).catch((err) => (log.error("replay start failed", { err }), refuse(c, "internal_error", "replay failed on the server")));
      default:
        return sessions.control(c, frame as ReplayClientFrame);
    }
  };

  const onOpen = (raw: Raw, ctx: UpgradeContext | undefined) => {
    if (shuttingDown) return raw.close(WS_CLOSE.goingAway, "server shutting down");
    stats.opened++;
    const socketIp = raw.remoteAddress || undefined;
    const ip = deps.clientIp && ctx?.request ? deps.clientIp(ctx.request, ctx.server?.requestIP(ctx.request)?.address ?? socketIp) : (socketIp ?? null);
    // Flow signals go to whichever session runs on the connection when they happen.
    let actor: () => Actor<ReplayMachine> | null = () => null;
    const outbox = createOutbox(raw, {
      clock, highWaterBytes: high, stats,
      onBlocked: () => actor()?.send({ type: "socket.blocked" }),
      onDrained: () => actor()?.send({ type: "socket.drained" }),
    });
    const c: Conn = {
      id: `rp_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`, raw, ip, principal: null, authing: false, authTimer: null, closed: false,
      actor: null, starting: false, early: [], slot: null, sessions: 0, outbox,
    };
    actor = () => c.actor;
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
    c.outbox.discard();
    clock.clearTimeout(c.authTimer);
    sessions.end(c, shuttingDown ? "shutdown" : "disconnected");
  };

  // A key that no longer holds: stop the session first (no event after the error), then say why.
  watchKeys(deps.authenticator, () => conns.values(), (conn, why) => {
    const c = conn as Conn;
    sessions.end(c, "revoked");
    c.closed = true;
    c.outbox.discard();
    c.raw.sendText(JSON.stringify({ type: "error", code: why.code, message: why.message }));
    c.raw.close(WS_CLOSE.policy, why.code);
  }, log);

  const plugin = new Elysia({ name: "ws.replay" }).ws("/ws/replay", {
    detail: { tags: ["WebSocket"], summary: "Backtesting replay (see docs/replay.md)" },
    open: (ws) => onOpen(rawOf(ws), (ws as { data?: UpgradeContext }).data),
    message: (ws, message) => {
      const c = conns.get(rawOf(ws));
      if (c && !c.closed) onMessage(c, message);
    },
    drain: (ws) => conns.get(rawOf(ws))?.outbox.flush(),
    close: (ws) => onClose(rawOf(ws)),
  });

  return {
    plugin: plugin as unknown as Elysia,
    stats,
    get connections() {
      return conns.size;
    },
    get activeSessions() {
      let n = 0;
      for (const c of conns.values()) if (sessions.active(c)) n++;
      return n;
    },
    slots: () => [...conns.values()].flatMap((c) => (c.slot !== null && c.principal ? [{ userId: c.principal.userId, connectionId: c.slot }] : [])),
    close() {
      shuttingDown = true;
      for (const c of [...conns.values()]) c.raw.close(WS_CLOSE.goingAway, "server shutting down");
    },
  };
}
