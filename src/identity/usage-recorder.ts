/**
 * Hourly usage per key (requests, credits, errors) and each key's last use, counted in memory and
 * written to the store in batches every `flushMs`: one upsert per key-hour per period instead of a
 * write per request. A failed write keeps its counts for the next attempt; `close()` writes the
 * rest, so a graceful stop loses nothing (a crash loses at most one period of usage statistics —
 * never credits, which have their own ledger).
 */
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { IdentityStore, UsageDelta } from "../store/ports";

const HOUR_MS = 3_600_000;

/** Options of {@link UsageRecorder}. */
export interface UsageRecorderOptions {
  store: IdentityStore;
  clock: Clock;
  log: Logger;
  /** Write-behind period. Default 1000 ms. */
  flushMs?: number;
}

/** Counts usage per key-hour and writes it behind. */
export class UsageRecorder {
  private counts = new Map<string, UsageDelta>();
  private lastUsed = new Map<string, number>();
  private timer: unknown;
  private closed = false;
  private readonly flushMs: number;

  constructor(private readonly opts: UsageRecorderOptions) {
    this.flushMs = opts.flushMs ?? 1_000;
    this.schedule();
  }

  /** Counts one request of `keyId` at `at` (ms). */
  record(keyId: string, at: number, credits: number, error: boolean): void {
    const hour = at - (at % HOUR_MS);
    const k = `${keyId}|${hour}`;
    let row = this.counts.get(k);
    if (!row) {
      row = { keyId, hour, requests: 0, credits: 0, errors: 0 };
      this.counts.set(k, row);
    }
    row.requests++;
    row.credits += credits;
    if (error) row.errors++;
    if ((this.lastUsed.get(keyId) ?? 0) < at) this.lastUsed.set(keyId, at);
  }

  /** Writes what has been counted so far. */
  async flush(): Promise<void> {
    if (this.counts.size === 0 && this.lastUsed.size === 0) return;
    const counts = this.counts;
    const lastUsed = this.lastUsed;
    this.counts = new Map();
    this.lastUsed = new Map();
    try {
      await this.opts.store.addUsage([...counts.values()]);
    } catch (err) {
      for (const row of counts.values()) this.merge(row);
      this.opts.log.warn("usage.flush_failed", { err });
    }
    try {
      await this.opts.store.touchKeys([...lastUsed].map(([id, lastUsedAt]) => ({ id, lastUsedAt })));
    } catch (err) {
      for (const [id, at] of lastUsed) if ((this.lastUsed.get(id) ?? 0) < at) this.lastUsed.set(id, at);
      this.opts.log.warn("usage.touch_failed", { err });
    }
  }

  /** Stops the timer and writes the rest. */
  async close(): Promise<void> {
    this.closed = true;
    this.opts.clock.clearTimeout(this.timer);
    await this.flush();
  }

  private merge(row: UsageDelta): void {
    const k = `${row.keyId}|${row.hour}`;
    const into = this.counts.get(k);
    if (!into) this.counts.set(k, { ...row });
    else {
      into.requests += row.requests;
      into.credits += row.credits;
      into.errors += row.errors;
    }
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.opts.clock.setTimeout(() => void this.flush().finally(() => this.schedule()), this.flushMs);
  }
}
