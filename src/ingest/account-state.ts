/**
 * The persisted form of a tracked account's state (`tracked_accounts.state`): compact JSON, versioned,
 * read back into the tracker on a warm start. Positions are arrays in a fixed field order.
 */
import type { PersistedAccount, PositionState } from "../actors/accounts/account.events";
import type { TrackedAccountRecord } from "../store/ports";

const VERSION = 1;

interface StateJson {
  v: number;
  /** Collateral (micro-units) or null. */
  c: number | null;
  /** Last REST snapshot (ms) or null. */
  s: number | null;
  p: PositionTuple[];
}

/** A position in a fixed field order (persisted state and the replicated account records). */
export type PositionTuple = [marketId: number, size: number, entryQuote: number, imfBp: number, realizedPnl: number, fundingPaid: number, marginMode: 0 | 1, allocatedMargin: number];

export const positionTuple = (p: PositionState): PositionTuple => [p.marketId, p.size, p.entryQuote, p.imfBp, p.realizedPnl, p.fundingPaid, p.marginMode, p.allocatedMargin];

export const fromPositionTuple = ([marketId, size, entryQuote, imfBp, realizedPnl, fundingPaid, marginMode, allocatedMargin]: PositionTuple): PositionState => ({
  marketId, size, entryQuote, imfBp, realizedPnl, fundingPaid, marginMode, allocatedMargin,
});

/** The row to upsert for an account's current state. */
export function toTrackedRecord(venue: string, a: PersistedAccount): TrackedAccountRecord {
  const state: StateJson = {
    v: VERSION, c: a.collateral, s: a.syncedAt,
    p: a.positions.map(positionTuple),
  };
  return { venue, accountId: a.id, l1Address: a.l1Address, firstSeen: a.firstSeen, updatedAt: a.updatedAt, state: JSON.stringify(state) };
}

/** The account a row describes; a row without (or with an unreadable) state comes back empty. */
export function fromTrackedRecord(r: TrackedAccountRecord): PersistedAccount {
  const base: PersistedAccount = { id: r.accountId, l1Address: r.l1Address, collateral: null, positions: [], firstSeen: r.firstSeen, syncedAt: null, updatedAt: r.updatedAt };
  if (!r.state) return base;
  try {
    const s = JSON.parse(r.state) as StateJson;
    if (s.v !== VERSION) return base;
    return { ...base, collateral: s.c, syncedAt: s.s, positions: s.p.map(fromPositionTuple) };
  } catch {
    return base;
  }
}
