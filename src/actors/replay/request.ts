/**
 * Resolving a replay request against the caller's plan, pure: times parsed like REST time params,
 * speed within 0.1–100, the range within the plan's replay window. A refusal names the limit.
 *
 * The plan's "Max Replay Window" is read as the longest range one replay may cover (end − start),
 * which is what the issue and the guide's table describe; how far back history goes is bounded by
 * what the store holds, not by the plan.
 */
import { DAY_MS, parseTimeParam } from "../../domain/time";
import { tier, type TierId } from "../../domain/tiers";
import type { ErrorCode } from "../../lib/errors";

/** Slowest and fastest playback. */
export const REPLAY_SPEED = Object.freeze({ min: 0.1, max: 100, default: 1 });
/**
 * Most markets one replay may merge. Each market holds its own page of rows and a share of every
 * merge step, so the cap bounds a session's memory and CPU; open more sessions for more markets.
 */
export const REPLAY_MAX_MARKETS = 16;

/** A replay request as validated by the frame schema. */
export interface ReplayRequestInput {
  /** One market, or `market_ids` for several (exactly one of the two). */
  market_id?: number;
  market_ids?: number[];
  start: string | number;
  end?: string | number;
  speed?: number;
}

/** A request with its range resolved: replay covers [start, end). */
export interface ResolvedReplay {
  /** Distinct, ascending. */
  marketIds: number[];
  start: number;
  end: number;
  speed: number;
}

/** Why a request is refused: an error frame's code and message. */
export interface ReplayRefusal {
  code: ErrorCode;
  message: string;
}

const FORMATS = "ms since the epoch, ISO-8601 (2026-01-01T00:00:00Z) or a date (2026-01-01)";
const days = (ms: number) => `${+(ms / DAY_MS).toFixed(3)} day${ms === DAY_MS ? "" : "s"}`;

/** Checks a speed; the refusal message names the bounds. */
export function checkSpeed(speed: number): ReplayRefusal | null {
  if (Number.isFinite(speed) && speed >= REPLAY_SPEED.min && speed <= REPLAY_SPEED.max) return null;
  return { code: "bad_request", message: `'speed' must be between ${REPLAY_SPEED.min} and ${REPLAY_SPEED.max} (1 = real time); got ${speed}` };
}

/** Parses a replay time field (same formats as REST time parameters). */
export function parseReplayTime(name: string, value: string | number): number | ReplayRefusal {
  const ms = parseTimeParam(value);
  return ms === null ? { code: "bad_request", message: `'${name}' must be a time between 2000-01-01 and 2100-01-01: ${FORMATS}; got ${JSON.stringify(value)}` } : ms;
}

/**
 * Resolves the range: `end` defaults to start + the plan's window, capped at `now` (now for
 * unlimited plans). Refuses replay on plans without it, ranges longer than the window, empty
 * ranges and ranges starting in the future.
 */
export function resolveReplayRequest(req: ReplayRequestInput, keyTier: TierId, now: number): ResolvedReplay | ReplayRefusal {
  const plan = tier(keyTier);
  if (plan.replayWindowDays === 0) return replayDisabled(keyTier);
  const marketIds = resolveMarkets(req);
  if (!Array.isArray(marketIds)) return marketIds;
  const speed = req.speed ?? REPLAY_SPEED.default;
  const badSpeed = checkSpeed(speed);
  if (badSpeed) return badSpeed;
  const start = parseReplayTime("start", req.start);
  if (typeof start !== "number") return start;
  if (start >= now) return { code: "bad_request", message: `'start' (${new Date(start).toISOString()}) is in the future: replay covers recorded history only` };
  const windowMs = plan.replayWindowDays === null ? null : plan.replayWindowDays * DAY_MS;
  let end: number;
  if (req.end === undefined) end = Math.min(windowMs === null ? now : start + windowMs, now);
  else {
    const parsed = parseReplayTime("end", req.end);
    if (typeof parsed !== "number") return parsed;
    end = parsed;
  }
  if (end <= start) return { code: "bad_request", message: `'start' (${start}) must be before 'end' (${end})` };
  if (windowMs !== null && end - start > windowMs) {
    return {
      code: "forbidden",
      message: `replay window too long: the ${plan.name} plan allows at most ${plan.replayWindowDays} days per replay (max replay window), got ${days(end - start)}`,
    };
  }
  return { marketIds, start, end, speed };
}

/** The request's markets: `market_id`, or `market_ids` (distinct, at most REPLAY_MAX_MARKETS), ascending. */
function resolveMarkets(req: ReplayRequestInput): number[] | ReplayRefusal {
  const bad = (message: string): ReplayRefusal => ({ code: "bad_request", message });
  if (req.market_id !== undefined && req.market_ids !== undefined) return bad("send either 'market_id' or 'market_ids', not both");
  if (req.market_id !== undefined) return [req.market_id];
  const ids = req.market_ids;
  if (ids === undefined || ids.length === 0) return bad("'market_id' (one market) or 'market_ids' (a non-empty list) is required");
  if (ids.length > REPLAY_MAX_MARKETS) return bad(`'market_ids' lists ${ids.length} markets; one replay merges at most ${REPLAY_MAX_MARKETS} (open another replay for more)`);
  if (new Set(ids).size !== ids.length) return bad("'market_ids' must not repeat a market");
  return [...ids].sort((a, b) => a - b);
}

/** The refusal for plans without replay. */
export function replayDisabled(keyTier: TierId): ReplayRefusal {
  return { code: "forbidden", message: `backtesting replay is not available on the ${tier(keyTier).name} plan: upgrade to Starter or above (Starter: 7-day window, 2 concurrent replays)` };
}

/** True when the value is a refusal rather than a resolved request. */
export const isRefusal = (v: ResolvedReplay | ReplayRefusal | number): v is ReplayRefusal => typeof v === "object" && "code" in v;
