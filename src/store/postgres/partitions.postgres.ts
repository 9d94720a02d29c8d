/**
 * On-demand range partitions for the time-series tables. Before a write, the adapter asks for the
 * partitions its rows fall into; ones this process has not seen are created with
 * `CREATE TABLE IF NOT EXISTS … PARTITION OF`. Several writers (this process's concurrent calls,
 * other ingest processes) may race to create the same partition: in-process callers share one
 * in-flight promise, and a loser across processes gets duplicate_table / unique_violation, which
 * means "it exists now" and is ignored.
 */
import type { Logger } from "../../lib/log.ts";
import { type Pool, pgCode, quoteIdent } from "./client.postgres.ts";

const DAY_MS = 86_400_000;

export type PartitionedTable = "trades" | "book_snapshots" | "account_fills";

/**
 * Partition width per table: trades are dense (daily), snapshots sparse (monthly); account fills
 * are read per account over ranges of up to a month, so monthly keeps those reads to one or two
 * partitions (migration 006).
 */
const GRAIN: Record<PartitionedTable, "day" | "month"> = { trades: "day", book_snapshots: "month", account_fills: "month" };

interface Bounds {
  name: string;
  from: number;
  to: number;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** The partition that holds `ts`, with [from, to) bounds in ms and a name like trades_p20240131. */
export function partitionFor(table: PartitionedTable, ts: number): Bounds {
  if (GRAIN[table] === "day") {
    const from = Math.floor(ts / DAY_MS) * DAY_MS;
    const d = new Date(from);
    const name = `${table}_p${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
    return { name, from, to: from + DAY_MS };
  }
  const d = new Date(ts);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return { name: `${table}_p${pad(y, 4)}${pad(m + 1, 2)}`, from: Date.UTC(y, m, 1), to: Date.UTC(y, m + 1, 1) };
}

/** "No partition of relation … found for row": a partition we cached was dropped. */
export const isMissingPartition = (err: unknown): boolean =>
  pgCode(err) === "23514" && err instanceof Error && /no partition/i.test(err.message);

/** Tracks and creates partitions for one pool (one schema). */
export class Partitions {
  private readonly known = new Set<string>();
  private readonly creating = new Map<string, Promise<void>>();

  constructor(
    private readonly sql: Pool,
    private readonly log?: Logger,
  ) {}

  /** Makes sure every partition that the rows' `ts` fall into exists. */
  async ensure(table: PartitionedTable, rows: ReadonlyArray<{ readonly ts: number }>): Promise<void> {
    const needed = new Map<string, Bounds>();
    // Batches are time-ordered runs, so comparing with the previous bound skips most lookups.
    let current: Bounds | undefined;
    for (const { ts } of rows) {
      if (current && ts >= current.from && ts < current.to) continue;
      current = partitionFor(table, ts);
      if (!this.known.has(current.name)) needed.set(current.name, current);
    }
    if (needed.size > 0) await Promise.all([...needed.values()].map((b) => this.create(table, b)));
  }

  /**
   * Ensures the rows' partitions, runs `write`, and — when a partition cached as existing was
   * dropped meanwhile (retention) — re-ensures once and runs it again.
   */
  async write<R>(table: PartitionedTable, rows: ReadonlyArray<{ readonly ts: number }>, write: () => Promise<R>): Promise<R> {
    await this.ensure(table, rows);
    try {
      return await write();
    } catch (err) {
      if (!isMissingPartition(err)) throw err;
      this.reset();
      await this.ensure(table, rows);
      return write();
    }
  }

  /** Forgets what exists (after a "no partition for row" error: something dropped one). */
  reset(): void {
    this.known.clear();
  }

  private create(table: PartitionedTable, b: Bounds): Promise<void> {
    let pending = this.creating.get(b.name);
    if (!pending) {
      pending = this.createOnce(table, b).finally(() => this.creating.delete(b.name));
      this.creating.set(b.name, pending);
    }
    return pending;
  }

  private async createOnce(table: PartitionedTable, b: Bounds): Promise<void> {
    try {
      // Bounds are integers computed above and names pass quoteIdent's check: safe to inline
      // (DDL takes no bind parameters).
      await this.sql.unsafe(
        `CREATE TABLE IF NOT EXISTS ${quoteIdent(b.name)} PARTITION OF ${quoteIdent(table)} FOR VALUES FROM (${b.from}) TO (${b.to})`,
      );
      this.log?.debug("store.pg.partition.ready", { table, partition: b.name });
    } catch (err) {
      // 42P07 duplicate_table / 23505 on pg_type: another session created it between our check
      // and our insert into the catalog. Anything else (e.g. an overlapping range) is real.
      const code = pgCode(err);
      if (code !== "42P07" && code !== "23505") throw err;
    }
    this.known.add(b.name);
  }
}
