/**
 * How the ingest leader shares tracked-account state with nodes that run no tracker (ROLE=api,
 * standby ingest nodes), through the Cache port (Redis across nodes):
 *
 *   accounts:{venue}:head              {run, seq, full}           rewritten every publish, TTL 30 s
 *   accounts:{venue}:delta:{run}:{seq} {markets?, marks, accounts} accounts changed since seq−1, TTL
 *   accounts:{venue}:full:{run}        {seq, markets, marks, accounts} every account, periodically
 *
 * `run` names one leader's publishing run (a new leader starts a new one, and replicas reload its
 * full snapshot); `seq` numbers deltas without gaps within a run. A replica that finds a delta
 * missing (expired, or it fell behind) reloads the full snapshot and continues from there. An
 * account record replaces the account whole, so applying a record twice is harmless.
 */
import type { TrackedAccount } from "../actors/accounts/tracked-account";
import type { MarketRisk, OrderState } from "../actors/accounts/account.events";
import { positionTuple, type PositionTuple } from "./account-state";

export const replicationKeys = {
  head: (venue: string) => `accounts:${venue}:head`,
  delta: (venue: string, run: string, seq: number) => `accounts:${venue}:delta:${run}:${seq}`,
  full: (venue: string, run: string) => `accounts:${venue}:full:${run}`,
};

/** Without a publish for this long, the head expires and replicas report their state as stale. */
export const HEAD_TTL_MS = 30_000;

export interface ReplicationHead {
  run: string;
  /** The newest delta. */
  seq: number;
  /** The delta the current full snapshot includes. */
  full: number;
  /** Leader's clock when the head was written (ms). */
  ts: number;
}

/** One account, whole. Short keys: a full snapshot holds every tracked account. */
export interface AccountRecord {
  i: number;
  /** L1 address. */
  a: string | null;
  /** Collateral, micro-units. */
  c: number | null;
  p: PositionTuple[];
  /** Open orders (null: not fetched yet), their venue total and when they were fetched. */
  o: OrderState[] | null;
  ot: number;
  oa: number | null;
  /** First seen, updated, synced (ms). */
  f: number;
  u: number;
  s: number | null;
  /** Needs a resync (1), unknown to the venue (1). */
  n: 0 | 1;
  m: 0 | 1;
}

/** [marketId, mark ticks, index ticks | null, ts]. */
export type MarkTuple = [number, number, number | null, number];

export interface ReplicationDelta {
  /** Present when the market list changed (and in every full snapshot). */
  markets?: MarketRisk[];
  marks: MarkTuple[];
  /** The accounts changed since the previous delta (in a full snapshot: every account). */
  accounts: AccountRecord[];
}

export interface ReplicationFull extends ReplicationDelta {
  seq: number;
  markets: MarketRisk[];
}

/** The record of an account. */
export function toAccountRecord(a: TrackedAccount): AccountRecord {
  const p: PositionTuple[] = [];
  for (const pos of a.positions.values()) p.push(positionTuple(pos));
  return {
    i: a.id, a: a.l1Address, c: a.collateral, p, o: a.orders, ot: a.ordersTotal, oa: a.ordersAt, f: a.firstSeen, u: a.updatedAt, s: a.syncedAt,
    n: a.needsSync ? 1 : 0, m: a.missing ? 1 : 0,
  };
}

/**
 * The JSON text of a delta or full snapshot from already-serialized account records, so a full
 * snapshot reuses each unchanged account's text instead of serializing every account again.
 */
export function payloadJson(head: Omit<ReplicationDelta, "accounts"> & { seq?: number }, records: readonly string[]): string {
  const open = JSON.stringify(head);
  return `${open.slice(0, -1)}${open.length > 2 ? "," : ""}"accounts":[${records.join(",")}]}`;
}
