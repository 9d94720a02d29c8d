/**
 * The outbox backlog for /metrics: how many deliveries are pending and how long the oldest due one
 * has been waiting. Gauges are read synchronously at scrape time, so the reader answers from the
 * last sample and starts a new one when that is older than `maxAgeMs` (one store query per second
 * at most, however often and from however many scrapers). Until the first sample lands the gauges
 * are absent rather than a misleading 0.
 *
 * The figures are store-wide, so every node can report them: an API node still shows the backlog
 * growing while no leader is delivering.
 */
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { OutboxStats, SignalsStore } from "../store/signals.port";

export interface BacklogSampler {
  /** The latest sample, or undefined before the first one; a stale sample triggers a refresh. */
  read(): OutboxStats | undefined;
  /** Seconds the oldest due pending delivery has been waiting (0 when none is overdue), from the latest sample. */
  oldestDueAgeSeconds(): number | undefined;
  /** Takes a sample now (scrapes call this through `read`). */
  refresh(): Promise<void>;
}

export function createBacklogSampler(o: { store: Pick<SignalsStore, "outboxStats">; clock: Clock; log: Logger; maxAgeMs?: number }): BacklogSampler {
  const maxAgeMs = o.maxAgeMs ?? 1_000;
  let last: { at: number; stats: OutboxStats } | undefined;
  let inFlight: Promise<void> | undefined;

  const refresh = (): Promise<void> =>
    (inFlight ??= o.store.outboxStats()
      .then((stats) => void (last = { at: o.clock.now(), stats }))
      .catch((err) => o.log.warn("signals: could not read the outbox backlog", { err }))
      .finally(() => (inFlight = undefined)));

  const read = () => {
    if (!last || o.clock.now() - last.at >= maxAgeMs) void refresh();
    return last?.stats;
  };

  return {
    read,
    oldestDueAgeSeconds() {
      const s = read();
      if (!s) return undefined;
      return s.oldestDueAt === null ? 0 : Math.max(0, o.clock.now() - s.oldestDueAt) / 1000;
    },
    refresh,
  };
}
