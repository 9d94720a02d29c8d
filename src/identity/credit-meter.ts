/**
 * Credits per account per UTC month: the port, the store-backed meter and the single-node meter.
 *
 * Which meter runs: with Redis, the Redis meter (credit-meter.redis.ts); without Redis on a store
 * several nodes share (PostgreSQL), the store meter — one conditional UPSERT per debit
 * (IdentityStore.debitCredits), atomic through PostgreSQL's row lock and durable at once; it is
 * also the Redis meter's fallback. Without Redis on a single-node store (SQLite), the memory meter.
 */
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import { andThen, type Maybe } from "../lib/maybe";
import type { IdentityStore } from "../store/ports";

/** The outcome of a debit. */
export interface CreditDecision {
  allowed: boolean;
  /** Credits used this month after the decision (refused debits add nothing). */
  used: number;
}

/** A debit request: `cap` is the hard cap (null = none; overage is counted). */
export interface CreditDebit {
  userId: string;
  /** "YYYY-MM" (UTC). */
  month: string;
  cost: number;
  cap: number | null;
}

/** Debits credits atomically: concurrent requests of one account can never overspend a cap. */
export interface CreditMeter {
  readonly kind: "store" | "memory" | "redis";
  /** The memory meter decides at once once the account is loaded; the others answer later. */
  debit(q: CreditDebit): Maybe<CreditDecision>;
  /** Credits used by an account in a month, as the meter sees it now. */
  used(userId: string, month: string): Promise<number>;
  /** Writes pending debits to the durable ledger (a no-op when every debit is written at once). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The meter on the store's ledger. */
export function createStoreCreditMeter(store: IdentityStore): CreditMeter {
  return {
    kind: "store",
    async debit(q) {
      if (q.cost <= 0) return { allowed: true, used: await store.creditsUsed(q.userId, q.month) };
      const used = await store.debitCredits(q);
      if (used !== null) return { allowed: true, used };
      return { allowed: false, used: await store.creditsUsed(q.userId, q.month) };
    },
    used: (userId, month) => store.creditsUsed(userId, month),
    async flush() {},
    async close() {},
  };
}

/** Options of {@link createMemoryCreditMeter}. */
export interface MemoryCreditMeterOptions {
  store: IdentityStore;
  clock: Clock;
  log: Logger;
  /** Write-behind period. Default 250 ms. */
  flushMs?: number;
  /** An account untouched this long is dropped from memory (and re-read from the ledger when used again). Default 60 s. */
  idleMs?: number;
}

interface Account {
  used: number;
  /** Admitted here, not yet in the ledger. */
  pending: number;
  touched: number;
}

/**
 * The single-node meter (no Redis, a store only this process writes: SQLite). Balances live in
 * memory, seeded from the ledger; a debit is check-and-add with no `await` in between, so on one
 * event loop it is atomic without a lock. Debits reach the ledger every `flushMs` and on close —
 * instead of one SQLite write transaction per request (≈ 50–80 µs each, most of the cost of
 * metering). A crash can lose at most one period of debits (in the customer's favour); after every
 * flush the balance is raised to the ledger's total, so changes made to the ledger directly
 * (an operator's adjustment) are picked up too.
 */
export function createMemoryCreditMeter(opts: MemoryCreditMeterOptions): CreditMeter {
  const flushMs = opts.flushMs ?? 250;
  const idleMs = opts.idleMs ?? 60_000;
  const accounts = new Map<string, Account>();
  const seeding = new Map<string, Promise<Account>>();
  let timer: unknown;
  let closed = false;
  const id = (userId: string, month: string) => `${userId}|${month}`;

  const account = (userId: string, month: string): Account | Promise<Account> => {
    const k = id(userId, month);
    const known = accounts.get(k);
    if (known) return known;
    let pending = seeding.get(k);
    if (!pending) {
      pending = opts.store.creditsUsed(userId, month).then((used) => {
        const a = { used, pending: 0, touched: opts.clock.now() };
        accounts.set(k, a);
        return a;
      });
      seeding.set(k, pending);
      const clear = () => seeding.delete(k);
      pending.then(clear, clear);
    }
    return pending;
  };

  // No await inside: check and add are one step on this event loop.
  const debitFrom = (a: Account, q: CreditDebit): CreditDecision => {
    a.touched = opts.clock.now();
    if (q.cap !== null && a.used + q.cost > q.cap) return { allowed: false, used: a.used };
    a.used += q.cost;
    a.pending += q.cost;
    return { allowed: true, used: a.used };
  };

  const flush = async () => {
    const batch = [...accounts].filter(([, a]) => a.pending > 0).map(([k, a]) => ({ k, a, amount: a.pending }));
    for (const b of batch) b.a.pending -= b.amount;
    if (batch.length > 0) {
      try {
        const totals = await opts.store.addCredits(batch.map((b) => ({ userId: b.k.slice(0, b.k.lastIndexOf("|")), month: b.k.slice(b.k.lastIndexOf("|") + 1), amount: b.amount })));
        const byKey = new Map(totals.map((t) => [id(t.userId, t.month), t.used]));
        for (const b of batch) b.a.used = Math.max(b.a.used, (byKey.get(b.k) ?? 0) + b.a.pending);
      } catch (err) {
        for (const b of batch) b.a.pending += b.amount;
        opts.log.warn("credits.flush_failed", { err });
      }
    }
    const idleBefore = opts.clock.now() - idleMs;
    for (const [k, a] of accounts) if (a.pending === 0 && a.touched < idleBefore) accounts.delete(k);
  };
  const schedule = () => {
    if (!closed) timer = opts.clock.setTimeout(() => void flush().finally(schedule), flushMs);
  };
  schedule();

  return {
    kind: "memory",
    // Decided at once when the account is in memory (every request after the first of a month).
    debit: (q) => andThen(account(q.userId, q.month), (a) => debitFrom(a, q)),
    async used(userId, month) {
      return (await account(userId, month)).used;
    },
    flush,
    async close() {
      closed = true;
      opts.clock.clearTimeout(timer);
      await flush();
    },
  };
}
