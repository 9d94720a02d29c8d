/**
 * Retention of the signals outbox, run by the ingest leader: finished deliveries (delivered, failed,
 * cancelled) and their attempts, and the tombstones of deleted signals, are deleted once they are
 * older than the horizon (SIGNAL_RETENTION_DAYS). Pending deliveries are never touched.
 *
 * Work is bounded: each batch is one short store transaction of at most `batch` rows per table, a
 * run makes at most `maxBatches` of them and yields to the event loop between two, and whatever is
 * left waits for the next run. A run starts when the runtime starts and then every `everyMs` on the
 * injected clock.
 */
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { PruneResult, SignalsStore } from "../store/signals.port";

export const DAY_MS = 86_400_000;

export interface SignalRetentionOptions {
  store: Pick<SignalsStore, "prune">;
  clock: Clock;
  log: Logger;
  /** Rows older than this (ms) are removed. */
  horizonMs: number;
  /** Between two runs. Default one hour. */
  everyMs?: number;
  /** Rows per table per batch. Default 500. */
  batch?: number;
  /** Batches per run. Default 100. */
  maxBatches?: number;
}

export interface SignalRetention {
  start(): void;
  /** No new batch starts; resolves once the batch in progress has committed. */
  stop(): Promise<void>;
  /** Resolves once no run is in progress (for tests on a manual clock). */
  whenIdle(): Promise<void>;
  /** One run now (what the timer does): the totals it removed and how many batches it took. */
  runOnce(): Promise<PruneResult & { batches: number }>;
}

/** Yields to I/O between two batches (not a timer: nothing waits on the clock). */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createSignalRetention(o: SignalRetentionOptions): SignalRetention {
  const everyMs = o.everyMs ?? 3_600_000;
  const batch = o.batch ?? 500;
  const maxBatches = o.maxBatches ?? 100;
  let running = false;
  /** Set by stop(): a run in progress ends after its current batch. */
  let stopped = false;
  let timer: unknown;
  let current: Promise<unknown> | undefined;

  async function runOnce(): Promise<PruneResult & { batches: number }> {
    const before = o.clock.now() - o.horizonMs;
    const total = { deliveries: 0, attempts: 0, signals: 0, batches: 0 };
    while (total.batches < maxBatches) {
      const r = await o.store.prune(before, batch);
      total.batches++;
      total.deliveries += r.deliveries;
      total.attempts += r.attempts;
      total.signals += r.signals;
      // A batch that came back short on both tables means nothing older is left.
      if (r.deliveries < batch && r.signals < batch) break;
      if (stopped) break;
      await yieldToLoop();
    }
    if (total.deliveries + total.signals > 0) o.log.info("signals: pruned old deliveries and deleted signals", total);
    return total;
  }

  const tick = () => {
    const run = runOnce()
      .catch((err) => o.log.warn("signals: pruning failed; retrying at the next run", { err }))
      .finally(() => {
        current = undefined;
        if (running) timer = o.clock.setTimeout(tick, everyMs);
      });
    current = run;
  };

  return {
    start() {
      if (running) return;
      running = true;
      stopped = false;
      tick();
    },
    async stop() {
      running = false;
      stopped = true;
      o.clock.clearTimeout(timer);
      await current;
    },
    async whenIdle() {
      await current;
    },
    runOnce,
  };
}
