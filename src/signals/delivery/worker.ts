/**
 * The delivery worker: claims due outbox rows, sends them with bounded concurrency, and records
 * every attempt. It runs where ingest runs (the ingest leader); because rows are claimed with a
 * lease, a second worker (another process or node, or a leader that took over while the old one
 * still had attempts in flight) never sends the same attempt, and a crashed worker's rows come back
 * once its lease runs out. Delivery is at least once: a crash after the send and before the record
 * means the receiver sees that attempt again, with the same webhook-id.
 *
 * Per attempt: 2xx → delivered; 410 Gone → failed, and the channel is disabled (no further
 * deliveries to it); any other status (3xx included: redirects are not followed), a timeout or a
 * connection error → retried on the schedule in retry.ts, then failed. A URL or resolved address
 * refused by the SSRF policy → failed at once: retrying would not make it public, and a name that
 * resolves to a private address is either misconfigured or an attack. A failed DNS lookup is retried.
 * A signal deleted, or a channel removed or disabled since the firing → cancelled (the signal is read
 * once per claim batch, right after the claim).
 *
 * The loop sleeps on the injected clock until the store's next due time, a `kick()` (new work), an
 * attempt finishing, or `pollMs` at most (rows written by other nodes, e.g. test events, wake no one).
 */
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/log.ts";
import type { AttemptResult, DeliveryRecord, SignalRecord, SignalsStore } from "../../store/signals.port.ts";
import { type RetryPolicy, nextAttemptAt } from "./retry.ts";
import { sendWebhook } from "./sender.ts";
import { webhookHeaders } from "./signing.ts";
import { type HostResolver, type WebhookPolicy, resolveWebhookTarget, systemResolver } from "./ssrf.ts";

export interface DeliveryWorkerOptions {
  store: SignalsStore;
  clock: Clock;
  log: Logger;
  /** Unique per process: claims are made in its name. */
  workerId: string;
  policy: WebhookPolicy;
  resolver?: HostResolver;
  retry: RetryPolicy;
  /** Attempts in flight at once. */
  concurrency: number;
  /** Bound on one attempt: lookup, connect, request and response (WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  /** Wait after start() before the first claim (WEBHOOK_START_DELAY_MS). */
  startDelayMs?: number;
  /** Longest sleep between two looks at the store. Default 1000. */
  pollMs?: number;
  /** [0, 1) source for retry jitter. Default Math.random. */
  random?: () => number;
  /** Extra trusted CA certificates (PEM) for https receivers. */
  ca?: string;
}

export interface DeliveryWorkerStats {
  running: boolean;
  inFlight: number;
  attempts: number;
  delivered: number;
  retried: number;
  failed: number;
  cancelled: number;
  /** Attempts whose result was not recorded because the claim had passed to another worker (or the row was cancelled). */
  lostClaims: number;
  errors: number;
}

export interface DeliveryWorker {
  start(): void;
  /** Stops claiming and waits for attempts in flight, at most `graceMs` (default: the attempt timeout + 1 s). */
  stop(graceMs?: number): Promise<void>;
  /** New work is due now. */
  kick(): void;
  stats(): DeliveryWorkerStats;
  /** Resolves once nothing is claimed, sent or recorded (the loop sleeps): for tests on a manual clock. */
  whenIdle(): Promise<void>;
}

/** Reads a signal for an attempt (one claim batch shares the reads). */
type SignalReader = (id: string) => Promise<SignalRecord | null>;

/** Creates the worker (not started). */
export function createDeliveryWorker(o: DeliveryWorkerOptions): DeliveryWorker {
  const pollMs = o.pollMs ?? 1_000;
  // Longer than any attempt can take, so a live worker never loses a claim to another.
  const leaseMs = 2 * o.timeoutMs + 15_000;
  const random = o.random ?? Math.random;
  const resolver = o.resolver ?? systemResolver;
  const log = o.log.child({ component: "webhook-worker", worker: o.workerId });
  const counts = { attempts: 0, delivered: 0, retried: 0, failed: 0, cancelled: 0, lostClaims: 0, errors: 0 };
  const inFlight = new Set<Promise<void>>();
  let running = false;
  let ready = false;
  let pumping = false;
  let again = false;
  let timer: unknown;
  let idleWaiters: Array<() => void> = [];

  const idle = () => !pumping && inFlight.size === 0;
  const notifyIdle = () => {
    if (!idle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };
  const sleepUntil = (at: number) => {
    o.clock.clearTimeout(timer);
    timer = o.clock.setTimeout(() => void pump(), Math.max(0, at - o.clock.now()));
  };

  /**
   * The signals of one claim batch, each read once (a burst of firings of one signal to several
   * channels is one read, not one per row). Read right after the claim, so an attempt still sees a
   * delete, a channel change or a 410 that happened before its batch was claimed.
   */
  const batchReader = (): SignalReader => {
    const read = new Map<string, Promise<SignalRecord | null>>();
    return (id) => {
      let p = read.get(id);
      if (!p) read.set(id, (p = o.store.byId(id)));
      return p;
    };
  };

  /** `p` or, after `ms` on the clock, `fallback`. */
  const within = <T>(p: Promise<T>, ms: number, fallback: T): Promise<T> =>
    new Promise((resolve) => {
      const t = o.clock.setTimeout(() => resolve(fallback), ms);
      void p.then((v) => (o.clock.clearTimeout(t), resolve(v)), () => (o.clock.clearTimeout(t), resolve(fallback)));
    });

  async function deliver(row: DeliveryRecord, at: number, signalOf: SignalReader): Promise<AttemptResult> {
    const result = (outcome: AttemptResult["outcome"], httpStatus: number | null, error: string | null, extra: Partial<AttemptResult> = {}): AttemptResult =>
      ({ at, durationMs: o.clock.now() - at, httpStatus, error, outcome, ...extra });
    const retryOrFail = (httpStatus: number | null, error: string): AttemptResult => {
      const next = nextAttemptAt(o.retry, row.attempts + 1, row.createdAt, o.clock.now(), random);
      return next === null ? result("failed", httpStatus, `gave up after ${row.attempts + 1} attempts: ${error}`) : result("retry", httpStatus, error, { nextAttemptAt: next });
    };
    const signal = await signalOf(row.signalId);
    const channel = signal?.channels[row.channel];
    if (!signal) return result("cancelled", null, "signal deleted");
    if (!channel || channel.url !== row.url) return result("cancelled", null, "channel removed from the signal");
    if (channel.disabledAt !== null) return result("cancelled", null, "channel disabled after a 410 Gone");
    const timedOut = { ok: false as const, reason: `lookup timed out after ${o.timeoutMs} ms`, retryable: true };
    const target = await within(resolveWebhookTarget(row.url, o.policy, resolver), o.timeoutMs, timedOut);
    if (!target.ok) return target.retryable ? retryOrFail(null, target.reason) : result("failed", null, `refused: ${target.reason}`);
    const sent = await sendWebhook({
      url: target.url, address: target.address, family: target.family, body: row.body, ca: o.ca,
      timeoutMs: Math.max(1, o.timeoutMs - (o.clock.now() - at)),
      headers: webhookHeaders({ id: row.id, at: o.clock.now(), body: row.body, secret: channel.secret }),
    }, o.clock);
    if (sent.status !== null && sent.status >= 200 && sent.status < 300) return result("delivered", sent.status, null);
    if (sent.status === 410) return result("failed", 410, "HTTP 410 Gone: channel disabled", { disableChannel: true });
    return retryOrFail(sent.status, sent.error ?? `HTTP ${sent.status}`);
  }

  async function attempt(row: DeliveryRecord, signalOf: SignalReader): Promise<void> {
    try {
      const r = await deliver(row, o.clock.now(), signalOf);
      counts.attempts++;
      if (!(await o.store.recordAttempt(o.workerId, row.id, r))) {
        counts.lostClaims++;
        return;
      }
      if (r.outcome === "retry") counts.retried++;
      else counts[r.outcome]++;
      if (r.outcome === "failed") log.warn("webhook delivery failed", { delivery: row.id, signal: row.signalId, status: r.httpStatus, error: r.error });
    } catch (err) {
      // The claim lapses and the row is tried again when the lease ends.
      counts.errors++;
      log.error("webhook attempt could not run", { delivery: row.id, err });
    }
  }

  async function pump(): Promise<void> {
    if (!running || !ready) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    again = false;
    try {
      while (running && inFlight.size < o.concurrency) {
        const free = o.concurrency - inFlight.size;
        const rows = await o.store.claimDue(o.workerId, o.clock.now(), leaseMs, free);
        const signalOf = batchReader();
        for (const row of rows) {
          const p = attempt(row, signalOf).finally(() => {
            inFlight.delete(p);
            if (running) void pump();
            notifyIdle();
          });
          inFlight.add(p);
        }
        if (rows.length < free) break;
      }
      // At full concurrency the next finishing attempt wakes the loop; otherwise the store says when.
      if (running && inFlight.size < o.concurrency) {
        const next = await o.store.nextDue();
        const now = o.clock.now();
        sleepUntil(next === null ? now + pollMs : Math.min(Math.max(next, now), now + pollMs));
      }
    } catch (err) {
      counts.errors++;
      log.warn("webhook worker could not read the outbox", { err });
      if (running) sleepUntil(o.clock.now() + pollMs);
    } finally {
      pumping = false;
      if (again && running) void pump();
      else notifyIdle();
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      const begin = () => {
        ready = true;
        void pump();
      };
      if (o.startDelayMs) timer = o.clock.setTimeout(begin, o.startDelayMs);
      else begin();
    },
    async stop(graceMs = o.timeoutMs + 1_000) {
      running = false;
      o.clock.clearTimeout(timer);
      if (!idle() && graceMs > 0) await within(new Promise<void>((resolve) => idleWaiters.push(resolve)), graceMs, undefined);
    },
    kick() {
      void pump();
    },
    stats: () => ({ running, inFlight: inFlight.size, ...counts }),
    whenIdle() {
      return idle() ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
