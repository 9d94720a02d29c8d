/**
 * Replay counters and their /metrics names. The gateway counts; the scrape reads the counts (no
 * registry call per event on the hot path).
 */
import type { Metrics } from "../../http/metrics";
import type { SendStats } from "./outbox";
import { REPLAY_OUTCOMES, type SessionStats } from "./sessions";

/** Everything a replay gateway counts. */
export interface ReplayStats extends SendStats, SessionStats {
  /** Replay sockets opened since start. */
  opened: number;
}

/** Zeroed counters. */
export const newReplayStats = (): ReplayStats => ({
  opened: 0, sessionsStarted: 0, eventsSent: 0, bytesSent: 0, backpressurePauses: 0, dropped: 0,
  sessionsEnded: { completed: 0, stopped: 0, failed: 0, disconnected: 0, revoked: 0, shutdown: 0 },
});

/** What /metrics reads from a gateway. */
export interface ReplayGauges {
  readonly stats: ReplayStats;
  readonly connections: number;
  readonly activeSessions: number;
}

/** Registers the replay gauges and counters (read at scrape time). */
export function registerReplayMetrics(metrics: Metrics, g: ReplayGauges): void {
  const s = g.stats;
  metrics.gauge("hl_replay_connections", "Open /ws/replay sockets on this node.", () => g.connections);
  metrics.gauge("hl_replay_sessions_active", "Replay sessions running (or being admitted) on this node.", () => g.activeSessions);
  metrics.counter("hl_replay_connections_opened_total", "/ws/replay sockets opened since start.", () => s.opened);
  metrics.counter("hl_replay_sessions_started_total", "Replay sessions admitted (a replay slot taken).", () => s.sessionsStarted);
  metrics.counter(
    "hl_replay_sessions_ended_total",
    "Replay sessions ended, by outcome: completed, stopped (by the client), failed, disconnected, revoked (key no longer valid), shutdown.",
    () => REPLAY_OUTCOMES.map((outcome) => ({ labels: { outcome }, value: s.sessionsEnded[outcome] })),
  );
  metrics.counter("hl_replay_events_sent_total", "replay_event frames handed to sockets.", () => s.eventsSent);
  metrics.counter("hl_replay_bytes_sent_total", "Bytes of all replay frames handed to sockets.", () => s.bytesSent);
  metrics.counter("hl_replay_backpressure_pauses_total", "Times a replay socket's send buffer passed the high-water mark and delivery paused.", () => s.backpressurePauses);
  metrics.counter("hl_replay_send_dropped_total", "Replay frames Bun reported as dropped.", () => s.dropped);
}
