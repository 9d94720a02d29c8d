/**
 * Replay sessions on a connection: admission (one active replay per connection, the request
 * resolved against the plan, one of the account's replay slots), the session's ReplayActor and the
 * controls forwarded to it, and how each session ends (counted by outcome for /metrics).
 *
 * A slot is held from an accepted `replay` until the session ends, whatever ends it.
 */
import { createActor, type Actor } from "xstate";
import { tier } from "../../domain/tiers";
import type { Clock } from "../../lib/clock";
import type { Logger } from "../../lib/log";
import { checkSpeed, isRefusal, parseReplayTime, resolveReplayRequest } from "../../actors/replay/request";
import type { replayLogic } from "../../actors/replay/replay.actors";
import type { ReplayMachine } from "../../actors/replay/replay.machine";
import type { ReplayEmitted } from "../../actors/replay/replay.events";
import type { ConnectionQuota } from "../connection-quota";
import type { Principal } from "../connection/connection.events";
import type { Outbox } from "./outbox";
import type { ReplayClientFrame, ReplayControlFrame, ReplayRequestFrame } from "./protocol";

/** How a session ended. */
export type ReplayOutcome = "completed" | "stopped" | "failed" | "disconnected" | "revoked" | "shutdown";
export const REPLAY_OUTCOMES: readonly ReplayOutcome[] = ["completed", "stopped", "failed", "disconnected", "revoked", "shutdown"];

/** Session counters of a gateway. */
export interface SessionStats {
  sessionsStarted: number;
  sessionsEnded: Record<ReplayOutcome, number>;
}

/** What a session needs of its connection. */
export interface SessionConn {
  readonly id: string;
  readonly outbox: Outbox;
  principal: Principal | null;
  closed: boolean;
  actor: Actor<ReplayMachine> | null;
  /** The slot request is in flight. */
  starting: boolean;
  /** Controls received while the session was being admitted, handed to it once it runs. */
  early: ReplayClientFrame[];
  slot: string | null;
  /** Sessions opened on this connection (slot ids). */
  sessions: number;
}

export interface SessionDeps {
  clock: Clock;
  log: Logger;
  quota: ConnectionQuota;
  logic: ReturnType<typeof replayLogic>;
  stats: SessionStats;
}

const HINT = '{"type":"replay","market_id":0,"start":"2026-01-01T00:00:00Z","speed":10}';

/** Builds the session operations of a gateway. */
export function createSessions(deps: SessionDeps) {
  const { clock, log, stats } = deps;
  const sendFrame = (c: SessionConn, frame: ReplayControlFrame) => c.outbox.send(JSON.stringify(frame));
  const refuse = (c: SessionConn, code: string, message: string) => sendFrame(c, { type: "error", code, message });

  /** A session is running, or being admitted. */
  const active = (c: SessionConn) => c.starting || (c.actor !== null && c.actor.getSnapshot().status === "active");

  /** Ends the session (once): counts the outcome, stops the actor, gives the slot back. */
  const end = (c: SessionConn, outcome: ReplayOutcome) => {
    const actor = c.actor;
    const slot = c.slot;
    if (actor === null) return;
    c.actor = null;
    c.slot = null;
    stats.sessionsEnded[outcome]++;
    if (actor.getSnapshot().status === "active") actor.stop();
    if (slot !== null && c.principal !== null) deps.quota.release(c.principal.userId, slot).catch((err) => log.warn("replay slot release failed", { err }));
  };

  const perform = (c: SessionConn, e: ReplayEmitted) => (e.type === "replay.send" ? sendFrame(c, e.frame) : c.outbox.sendEvents(e.heads));

  const start = async (c: SessionConn, p: Principal, frame: ReplayRequestFrame) => {
    if (active(c)) return refuse(c, "conflict", 'a replay is already active on this connection: send {"type":"stop"} first (one replay per connection)');
    const request = resolveReplayRequest(frame, p.tier, clock.now());
    if (isRefusal(request)) return refuse(c, request.code, request.message);
    // The previous session (completed or stopped) is over; its slot went back when it ended.
    c.actor = null;
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
    stats.sessionsStarted++;
    const actor = createActor(deps.logic, { clock, input: { request, now: () => clock.now() } });
    c.actor = actor;
    actor.on("*", (e) => perform(c, e as ReplayEmitted));
    actor.subscribe({
      complete: () => {
        const s = actor.getSnapshot();
        if (c.actor === actor && s.status === "done") end(c, s.value === "completed" ? "completed" : s.value === "stopped" ? "stopped" : "failed");
      },
      error: (err) => {
        log.error("replay actor failed", { connection: c.id, err });
        if (c.actor === actor) end(c, "failed");
        refuse(c, "internal_error", "replay failed on the server");
      },
    });
    actor.start();
    actor.send({ type: "replay.start" });
    for (const early of c.early.splice(0)) control(c, early);
  };

  const control = (c: SessionConn, frame: ReplayClientFrame) => {
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

  return { active, start, control, end, refuse, sendFrame };
}
