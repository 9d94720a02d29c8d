/**
 * The tracked accounts of one tracker shard: a mutable aggregate that lives in the actor's context
 * and that only the actor's actions change (readers get derived, memoised views: account-view.ts).
 *
 * Consistency model, per position: a fill from the trade feed carries the account's position just
 * before it. When that equals ours, the fill is applied (position moved, realised PnL and fee
 * booked to collateral). When ours already equals the position after it, the fill is one we have
 * (a snapshot taken after it); anything else is a gap: the position is set from the trade (the
 * venue's own numbers) and the account is flagged for a resync from REST. A REST snapshot replaces
 * collateral and positions, then replays the fills received since the request was sent through the
 * same check, so a fill that raced the snapshot is neither lost nor counted twice.
 */
import { applyNetFill, fillFeeMicro, fundingPaymentMicro, quoteMicro, samePosition } from "../../domain/positions";
import type { AccountSnapshotInput, FillInput, FundingPaymentInput, MarketRisk, OrderState, PersistedAccount, PositionState } from "./account.events";
import { emptyPosition, newTrackedAccount, type FillsOutcome, type TrackedAccount } from "./tracked-account";

export type { FillsOutcome, TrackedAccount } from "./tracked-account";

/** Fills kept per account for replay after a snapshot. */
const RECENT_FILLS = 32;
const HOUR_MS = 3_600_000;

export class AccountBook {
  readonly accounts = new Map<number, TrackedAccount>();
  readonly markets = new Map<number, MarketRisk>();
  readonly marks = new Map<number, { mark: number; index: number | null; ts: number }>();
  /** Bumped whenever the market list changes: every view depends on it. */
  marketsEpoch = 0;
  /** Per market, bumped whenever its mark moves: views of accounts with a position there depend on it. */
  readonly markVersions = new Map<number, number>();
  private readonly byMarket = new Map<number, Set<number>>();
  private readonly byAddress = new Map<string, Set<number>>();

  constructor(readonly venue: string, readonly maxAccounts: number) {}

  get size(): number {
    return this.accounts.size;
  }

  /** Accounts holding an open position in a market. */
  inMarket(marketId: number): ReadonlySet<number> {
    return this.byMarket.get(marketId) ?? new Set();
  }

  /** Accounts owned by an L1 address (lower-cased). */
  byL1(address: string): number[] {
    return [...(this.byAddress.get(address.toLowerCase()) ?? [])];
  }

  /** Starts tracking `id`; null when the shard is full. */
  track(id: number, now: number): { account: TrackedAccount; created: boolean } | null {
    const known = this.accounts.get(id);
    if (known) return { account: known, created: false };
    if (this.accounts.size >= this.maxAccounts) return null;
    const account = newTrackedAccount(id, now);
    this.accounts.set(id, account);
    return { account, created: true };
  }

  setMarkets(markets: readonly MarketRisk[]): void {
    for (const m of markets) this.markets.set(m.marketId, m);
    this.marketsEpoch++;
  }

  setMark(marketId: number, mark: number, index: number | null, ts: number): void {
    const prev = this.marks.get(marketId);
    if (prev && prev.mark === mark && prev.index === index) return;
    this.marks.set(marketId, { mark, index, ts });
    this.markVersions.set(marketId, (this.markVersions.get(marketId) ?? 0) + 1);
  }

  /** Applies fills of tracked (or newly discovered) accounts, oldest first. */
  applyFills(fills: readonly FillInput[], discover: boolean): FillsOutcome {
    const out: FillsOutcome = { rows: [], drifted: [], created: [], liquidated: [] };
    for (const f of fills) {
      const tracked = discover ? this.track(f.accountId, f.receivedAt) : { account: this.accounts.get(f.accountId), created: false };
      const acct = tracked?.account;
      if (!acct) continue;
      if (tracked.created) out.created.push(acct.id);
      const r = this.applyFill(acct, f);
      if (r.status === "drift") out.drifted.push(acct.id);
      if (f.kind !== "trade" && f.role === "taker") out.liquidated.push(acct.id);
      if (r.status === "unknown-market") continue;
      acct.recent.push(f);
      if (acct.recent.length > RECENT_FILLS) acct.recent.shift();
      out.rows.push({
        venue: this.venue, accountId: acct.id, marketId: f.marketId, tradeId: f.tradeId, ts: f.ts, side: f.isBuy ? "buy" : "sell",
        role: f.role, price: f.price, size: f.size, kind: f.kind, fee: r.fee, realizedPnl: r.realized,
      });
    }
    return out;
  }

  private applyFill(acct: TrackedAccount, f: FillInput): { status: "applied" | "duplicate" | "drift" | "unknown-market"; fee: number; realized: number } {
    const market = this.markets.get(f.marketId);
    if (!market) return { status: "unknown-market", fee: 0, realized: 0 };
    const pos = acct.positions.get(f.marketId) ?? emptyPosition(f.marketId, f.before?.imfBp ?? 0);
    const before = f.before ?? { size: pos.size, entryQuote: pos.entryQuote };
    const res = applyNetFill(before, market, f.isBuy, f.size, f.price);
    const fee = fillFeeMicro(quoteMicro(market, f.size, f.price), f.feeRate);
    let status: "applied" | "duplicate" | "drift" = "applied";
    // Before the first snapshot there is nothing to drift from: the trade's numbers are adopted.
    if (!samePosition(pos, before)) status = samePosition(pos, res.after) ? "duplicate" : acct.syncedAt === null ? "applied" : "drift";
    if (status !== "duplicate") {
      const imfBp = f.before?.imfBp || pos.imfBp;
      this.setPosition(acct, { ...pos, imfBp, size: res.after.size, entryQuote: res.after.entryQuote, realizedPnl: pos.realizedPnl + res.realized });
      if (acct.collateral !== null) acct.collateral += res.realized - fee;
      if (status === "drift") acct.needsSync = true;
      this.touch(acct, f.receivedAt);
    }
    return { status, fee, realized: res.realized };
  }

  /** Replaces collateral and positions from REST, then replays fills received since `requestedAt`. */
  applySnapshot(s: AccountSnapshotInput, requestedAt: number, now: number): boolean {
    // A snapshot of an account not tracked yet is the answer to a lookup: start tracking it.
    const acct = this.accounts.get(s.accountId) ?? this.track(s.accountId, now)?.account;
    if (!acct) return false;
    acct.collateral = s.collateral;
    acct.missing = false;
    if (s.l1Address) this.setAddress(acct, s.l1Address);
    this.replacePositions(acct, s.positions);
    acct.needsSync = false;
    acct.funding.clear();
    acct.syncedAt = now;
    for (const f of acct.recent) if (f.receivedAt >= requestedAt) this.applyFill(acct, f);
    this.touch(acct, now);
    return true;
  }

  /** Positions from the venue's account channel (no collateral there) and exact funding payments. */
  applyStream(id: number, positions: readonly PositionState[], fundings: readonly FundingPaymentInput[], now: number): void {
    const acct = this.accounts.get(id);
    if (!acct) return;
    this.replacePositions(acct, positions);
    for (const p of fundings) {
      const hour = Math.floor(p.ts / HOUR_MS);
      const booked = acct.funding.get(p.marketId);
      if (booked?.hour === hour && booked.exact) continue;
      if (acct.collateral !== null) acct.collateral += p.change - (booked?.hour === hour ? booked.amount : 0);
      acct.funding.set(p.marketId, { hour, exact: true, amount: p.change });
    }
    this.touch(acct, now);
  }

  /**
   * A market's funding settlement: each position in it is paid `−sign × size × index × rate`,
   * unless the account channel already booked the exact payment. Estimated accounts want a resync.
   */
  applyFundingEstimate(marketId: number, ts: number, rate4: number, index: number): number[] {
    const market = this.markets.get(marketId);
    if (!market) return [];
    const hour = Math.floor(ts / HOUR_MS);
    const touched: number[] = [];
    for (const id of this.inMarket(marketId)) {
      const acct = this.accounts.get(id) as TrackedAccount;
      const pos = acct.positions.get(marketId);
      if (!pos || pos.size === 0 || acct.funding.get(marketId)?.hour === hour) continue;
      const amount = fundingPaymentMicro(pos.size, market, index, rate4);
      if (acct.collateral !== null) acct.collateral += amount;
      // Positions are replaced, never changed in place: readers key caches by the object.
      this.setPosition(acct, { ...pos, fundingPaid: pos.fundingPaid - amount });
      acct.funding.set(marketId, { hour, exact: false, amount });
      acct.needsSync = true;
      this.touch(acct, ts);
      touched.push(id);
    }
    return touched;
  }

  setOrders(id: number, orders: OrderState[], total: number, now: number): void {
    const acct = this.accounts.get(id);
    if (!acct) return;
    acct.orders = orders;
    acct.ordersTotal = total;
    acct.ordersAt = now;
    this.touch(acct, now);
  }

  markMissing(id: number, now: number): void {
    const acct = this.accounts.get(id);
    if (!acct || acct.missing) return;
    acct.missing = true;
    this.touch(acct, now);
  }

  /** Warm start: accounts persisted by an earlier run, unless already known here (the feed is newer). */
  restore(list: readonly PersistedAccount[]): void {
    for (const p of list) {
      const t = this.track(p.id, p.firstSeen);
      if (!t || (!t.created && (t.account.syncedAt !== null || t.account.positions.size > 0))) continue;
      const acct = t.account;
      acct.collateral = p.collateral;
      acct.syncedAt = p.syncedAt;
      acct.updatedAt = p.updatedAt;
      acct.needsSync = true;
      if (p.l1Address) this.setAddress(acct, p.l1Address);
      this.replacePositions(acct, p.positions);
    }
  }

  /** The persisted form of an account. */
  persisted(acct: TrackedAccount): PersistedAccount {
    return {
      id: acct.id, l1Address: acct.l1Address, collateral: acct.collateral, positions: [...acct.positions.values()].map((p) => ({ ...p })),
      firstSeen: acct.firstSeen, syncedAt: acct.syncedAt, updatedAt: acct.updatedAt,
    };
  }

  protected replacePositions(acct: TrackedAccount, positions: readonly PositionState[]): void {
    for (const id of acct.positions.keys()) this.byMarket.get(id)?.delete(acct.id);
    acct.positions.clear();
    for (const p of positions) this.setPosition(acct, { ...p });
  }

  private setPosition(acct: TrackedAccount, p: PositionState): void {
    acct.positions.set(p.marketId, p);
    let set = this.byMarket.get(p.marketId);
    if (!set) this.byMarket.set(p.marketId, (set = new Set()));
    if (p.size !== 0) set.add(acct.id);
    else set.delete(acct.id);
  }

  protected setAddress(acct: TrackedAccount, address: string): void {
    const key = address.toLowerCase();
    if (acct.l1Address?.toLowerCase() === key) return;
    if (acct.l1Address) this.byAddress.get(acct.l1Address.toLowerCase())?.delete(acct.id);
    acct.l1Address = address;
    let set = this.byAddress.get(key);
    if (!set) this.byAddress.set(key, (set = new Set()));
    set.add(acct.id);
  }

  protected touch(acct: TrackedAccount, now: number): void {
    acct.version++;
    acct.updatedAt = Math.max(acct.updatedAt, now);
  }
}
