/**
 * The one REST scheduler every tracker shard shares: account snapshots (`account`) and open orders
 * (`accountActiveOrders`) within a request budget, so the engine stays inside the venue's REST
 * limits (reference §F.1: 60 requests a minute on a standard account, per IP) whatever the number
 * of accounts. Requests wait in three priority queues (urgent, new, background), de-duplicated by
 * account; a token bucket on the injected clock releases them, a few at a time. Answers go back to
 * the owning shard as tracker inputs.
 */
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { DetailedAccountsIn, Orders } from "../venues/lighter/protocol";
import { LighterApiError } from "../venues/lighter/rest";
import type { MarketRisk, RefreshPriority, TrackerInput } from "../actors/accounts/account.events";
import { toOrders, toSnapshot } from "./account-router";

/** The venue calls the refresher makes. */
export interface AccountRest {
  account(q: { by: "index" | "l1_address"; value: string }): Promise<DetailedAccountsIn>;
  accountActiveOrders(q: { account_index: number }): Promise<Orders>;
}

export interface AccountRefresherOptions {
  rest: AccountRest;
  clock: Clock;
  log: Logger;
  /** REST requests per minute (an account refresh is two: snapshot and orders). */
  perMinute: number;
  /** Requests in flight at once. */
  concurrency: number;
  markets: () => ReadonlyMap<number, MarketRisk>;
  /** Which shard owns an account. */
  shardOf: (id: number) => number;
  /** Orders kept per account. */
  maxOrders: number;
  /** Background requests beyond this many queued are dropped (the next sweep asks again). */
  maxQueued?: number;
}

export interface RefresherStats {
  queued: number;
  inFlight: number;
  requests: number;
  failures: number;
}

/** Venue code of "account not found" (reference §B.1). */
const ACCOUNT_NOT_FOUND = 21100;
/** Consecutive refusals of accountActiveOrders after which orders are no longer asked for. */
const ORDERS_GIVE_UP = 5;

type Job = { kind: "account"; id: number } | { kind: "address"; address: string };

export class AccountRefresher {
  private readonly queues: Job[][] = [[], [], []];
  private readonly queuedAt = new Map<string, RefreshPriority>();
  private readonly shards = new Map<number, (e: TrackerInput) => void>();
  private tokens: number;
  private refilledAt: number;
  private inFlight = 0;
  private timer: unknown;
  private stopped = false;
  private ordersRefused = 0;
  private readonly burst: number;
  private readonly counters = { requests: 0, failures: 0 };

  constructor(private readonly o: AccountRefresherOptions) {
    this.burst = Math.max(2, Math.min(o.perMinute, Math.ceil(o.perMinute / 6)));
    this.tokens = this.burst;
    this.refilledAt = o.clock.now();
  }

  /** Registers a shard's inbox; returns the function that removes it. */
  attach(shard: number, send: (e: TrackerInput) => void): () => void {
    this.shards.set(shard, send);
    return () => {
      if (this.shards.get(shard) === send) this.shards.delete(shard);
    };
  }

  /** Queues snapshot refreshes (an already queued account moves up to the higher priority). */
  request(ids: readonly number[], priority: RefreshPriority): void {
    for (const id of ids) this.enqueue({ kind: "account", id }, `a${id}`, priority);
    this.pump();
  }

  /** Queues a lookup of an L1 address's accounts (they are tracked when found). */
  lookup(address: string): void {
    this.enqueue({ kind: "address", address }, `l${address.toLowerCase()}`, 0);
    this.pump();
  }

  stats(): RefresherStats {
    return { queued: this.queuedAt.size, inFlight: this.inFlight, ...this.counters };
  }

  stop(): void {
    this.stopped = true;
    this.o.clock.clearTimeout(this.timer);
  }

  private enqueue(job: Job, key: string, priority: RefreshPriority): void {
    const queued = this.queuedAt.get(key);
    if (queued !== undefined && queued <= priority) return;
    if (queued === undefined && priority === 2 && this.queuedAt.size >= (this.o.maxQueued ?? 100_000)) return;
    this.queuedAt.set(key, priority);
    (this.queues[priority] as Job[]).push(job);
  }

  private next(): Job | undefined {
    for (let p = 0; p < 3; p++) {
      const q = this.queues[p] as Job[];
      while (q.length > 0) {
        const job = q.shift() as Job;
        const key = job.kind === "account" ? `a${job.id}` : `l${job.address.toLowerCase()}`;
        // A job moved to a higher queue leaves a stale copy behind: skip it.
        if (this.queuedAt.get(key) !== p) continue;
        this.queuedAt.delete(key);
        return job;
      }
    }
    return undefined;
  }

  private pump(): void {
    if (this.stopped) return;
    const now = this.o.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.o.perMinute) / 60_000);
    this.refilledAt = now;
    const cost = this.ordersRefused >= ORDERS_GIVE_UP ? 1 : 2;
    while (this.inFlight < this.o.concurrency && this.tokens >= cost && this.queuedAt.size > 0) {
      const job = this.next();
      if (!job) break;
      this.tokens -= job.kind === "account" ? cost : 1;
      this.inFlight++;
      void this.run(job).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
    this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queuedAt.size > 0 && this.inFlight < this.o.concurrency) {
      const wait = Math.max(1, Math.ceil(((cost - this.tokens) * 60_000) / this.o.perMinute));
      this.timer = this.o.clock.setTimeout(() => this.pump(), wait);
    }
  }

  private send(id: number, e: TrackerInput): void {
    this.shards.get(this.o.shardOf(id))?.(e);
  }

  private async run(job: Job): Promise<void> {
    const requestedAt = this.o.clock.now();
    this.counters.requests++;
    try {
      const res = await this.o.rest.account(job.kind === "account" ? { by: "index", value: String(job.id) } : { by: "l1_address", value: job.address });
      for (const d of res.accounts) {
        this.send(d.index, { type: "rest.account", snapshot: toSnapshot(d, this.o.markets()), requestedAt, ts: this.o.clock.now() });
      }
      if (job.kind === "account" && this.ordersRefused < ORDERS_GIVE_UP) await this.orders(job.id);
    } catch (err) {
      const notFound = err instanceof LighterApiError && err.venueCode === ACCOUNT_NOT_FOUND;
      if (!notFound) this.counters.failures++;
      if (job.kind !== "account") return;
      if (notFound) this.send(job.id, { type: "rest.notFound", accountId: job.id, ts: this.o.clock.now() });
      else this.send(job.id, { type: "rest.failed", accountId: job.id, ts: this.o.clock.now(), error: String(err) });
    }
  }

  private async orders(id: number): Promise<void> {
    try {
      const res = await this.o.rest.accountActiveOrders({ account_index: id });
      this.ordersRefused = 0;
      this.send(id, { type: "rest.orders", accountId: id, orders: toOrders(res.orders, this.o.markets(), this.o.maxOrders), total: res.orders.length, ts: this.o.clock.now() });
    } catch (err) {
      // Open orders of other accounts need the venue's auth: without it they stay unknown.
      if (err instanceof LighterApiError && err.kind === "venue" && ++this.ordersRefused === ORDERS_GIVE_UP) {
        this.o.log.warn("accounts: accountActiveOrders refused repeatedly; open orders will not be tracked", { err });
      }
    }
  }
}
