/**
 * One market's trade pipeline: wire trades → `ClientTrade`, de-duplicated by id, emitted in
 * ascending id order within each batch — and, across reconnects, **subscribe first, then
 * backfill, then dedupe**, with bookkeeping that never loses a trade it could still recover.
 *
 * `completeId`: every trade with id ≤ it has been emitted. Above it the flow keeps **segments**:
 * one per session, `[from, to]`, the ids that session's stream is known to carry without holes
 * (a session's stream is lossless: it starts with the `subscribed/trade` re-send of recent
 * trades, which reaches back before the subscription). A REST backfill issued in session S
 * fetches `(afterId, newest at fetch time]`; since it is issued after S subscribed, a complete
 * fetch joins `completeId` to S's segment. Segments are merged into `completeId` as soon as they
 * touch it, so a backfill that lands late (after its session ended) still counts.
 *
 * While the current session is not yet joined to `completeId`, its trades are **held** so the
 * tape stays in id order; they are released when it joins, when the session ends, or when the
 * backfill fails (the tape must not stall). Ids are never assumed consecutive: markets share one
 * trade-id sequence.
 */
import { scaledInt } from "../../lib/decimal.ts";
import type { ClientTrade, MarketInfo, TradeSource } from "./events.ts";
import type { TradeIn, TradeListIn } from "./protocol.ts";
import { TradeDeduper } from "./trade-dedupe.ts";

/** Receives each batch of new trades. */
export type TradeSink = (marketId: number, trades: ClientTrade[], source: TradeSource) => void;

/** Ids `from..to` (inclusive) that a session's stream carried without holes. */
interface Segment {
  from: number;
  to: number;
}

/** What a backfill needs to report back: where it started and the session it was issued in. */
export interface BackfillToken {
  readonly afterId: number;
  readonly segment: Segment | null;
}

const byId = (a: ClientTrade, b: ClientTrade) => a.id - b.id;

/** Calls `fn` for every trade of a wire list (`null`, a list, or a map keyed by market id). */
export function forEachTrade(list: TradeListIn | undefined, fn: (t: TradeIn) => void): void {
  if (!list) return;
  if (Array.isArray(list)) for (const t of list) fn(t);
  else for (const key in list) for (const t of list[key]!) fn(t);
}

function idRange(list: TradeListIn | undefined): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  forEachTrade(list, (t) => {
    if (t.trade_id < min) min = t.trade_id;
    if (t.trade_id > max) max = t.trade_id;
  });
  return min <= max ? { min, max } : null;
}

export class TradeFlow {
  readonly dedupe: TradeDeduper;
  private completeValue = -1;
  private based = false;
  private segments: Segment[] = [];
  private session: Segment | null = null;
  private held: ClientTrade[] | null = null;
  /** Trades skipped because their price or size did not parse. */
  badTrades = 0;
  duplicates = 0;

  constructor(private readonly market: MarketInfo, private readonly sink: TradeSink, dedupeCapacity?: number) {
    this.dedupe = new TradeDeduper(dedupeCapacity);
  }

  /** Every trade with id ≤ this has been emitted (-1: no base yet). */
  get completeId(): number {
    return this.completeValue;
  }

  /** True while the current session's trades are held for a backfill. */
  get holding(): boolean {
    return this.held !== null;
  }

  /** True when the current session is joined to `completeId` (no backfill needed). */
  get joined(): boolean {
    return this.session !== null && this.session.from <= this.completeValue;
  }

  /** True while a session has started (its re-send arrived) but is not joined: a backfill is due. */
  get awaitingJoin(): boolean {
    return this.held !== null && this.session !== null && this.session.from > this.completeValue;
  }

  /** True when `id` is at or below `completeId` or inside a known segment. */
  isKnown(id: number): boolean {
    if (id <= this.completeValue) return true;
    for (const s of this.segments) if (id >= s.from && id <= s.to) return true;
    return false;
  }

  /**
   * Continues from a trade already processed before this client started (the last one stored):
   * ids up to it count as emitted, and the first session is held like a reconnect's, so a gap
   * between that trade and the venue's re-send is backfilled instead of lost.
   */
  resumeFrom(lastId: number): void {
    this.based = true;
    this.completeValue = Math.max(this.completeValue, lastId);
    this.session = null;
    this.held ??= [];
  }

  /** A new session after a disconnect: hold its trades until it is joined. */
  beginReconnect(): void {
    this.session = null;
    this.held ??= [];
  }

  /** The session ended: release what is held (its segment stays for later joining). */
  endSession(): void {
    this.session = null;
    this.release("update");
  }

  /** Handles the trade lists of one `trade:{m}` frame. */
  onFrame(trades: TradeListIn | undefined, liquidations: TradeListIn | undefined, source: TradeSource): void {
    this.extendSession(trades, liquidations, source === "snapshot");
    const fresh: ClientTrade[] = [];
    // Liquidation list first, so a fill present in both lists keeps its liquidation flag.
    forEachTrade(liquidations, (t) => this.take(t, true, fresh));
    forEachTrade(trades, (t) => this.take(t, false, fresh));
    this.merge();
    if (this.held !== null) {
      for (const t of fresh) this.held.push(t);
      if (this.joined) this.release(source); // the re-send overlapped: nothing was missed
      return;
    }
    if (fresh.length === 0) return;
    fresh.sort(byId);
    this.sink(this.market.marketId, fresh, source);
  }

  /** Marks the start of a backfill in the current session. */
  beginBackfill(): BackfillToken {
    return { afterId: this.completeValue, segment: this.session };
  }

  /**
   * Takes a backfill's answer. `reachedAfterId` false means the fetch stopped (page cap) before
   * `afterId`; if the backfill belongs to the current session the older part is given up (the
   * caller logs it), otherwise it may still be recovered by the current session's backfill.
   * Returns the number of trades that were new.
   */
  completeBackfill(token: BackfillToken, trades: readonly TradeIn[], reachedAfterId: boolean, current: boolean): number {
    const fresh: ClientTrade[] = [];
    let max = -Infinity;
    let min = Infinity;
    for (const t of trades) {
      if (t.trade_id > max) max = t.trade_id;
      if (t.trade_id < min) min = t.trade_id;
      this.take(t, false, fresh);
    }
    if (reachedAfterId && token.afterId <= this.completeValue) {
      // (afterId, fetch time] is complete, and the issuing session subscribed before the fetch.
      if (max > this.completeValue) this.completeValue = max;
      if (token.segment && token.segment.to > this.completeValue) this.completeValue = token.segment.to;
    } else if (!reachedAfterId && current && max > this.completeValue) {
      this.completeValue = max;
    } else if (min <= max) {
      this.segments.push({ from: min, to: max });
    }
    this.merge();
    if (fresh.length > 0) {
      if (this.held !== null && (this.joined || current)) {
        for (const t of fresh) this.held.push(t);
      } else {
        fresh.sort(byId);
        this.sink(this.market.marketId, fresh, "backfill");
      }
    }
    if (this.held !== null && (this.joined || current)) this.release("backfill");
    return fresh.length;
  }

  /** Releases held trades without joining (backfill failed or the session dropped). */
  release(source: TradeSource = "update"): void {
    const batch = this.held;
    this.held = null;
    if (batch && batch.length > 0) {
      batch.sort(byId);
      this.sink(this.market.marketId, batch, source);
    }
  }

  /** Opens or extends the current session's segment with one frame's ids. */
  private extendSession(trades: TradeListIn | undefined, liquidations: TradeListIn | undefined, snapshot: boolean): void {
    const t = idRange(trades);
    const l = idRange(liquidations);
    if (!t && !l) return;
    const max = Math.max(t?.max ?? -Infinity, l?.max ?? -Infinity);
    if (snapshot || this.session === null) {
      // Both lists reach back a bounded number of entries: only from the later of their oldest
      // ids is the re-send known to be complete.
      const from = t && l ? Math.max(t.min, l.min) : (t ?? l)!.min;
      if (!this.based) {
        this.based = true;
        this.completeValue = Math.max(this.completeValue, max);
      }
      if (this.session === null) {
        this.session = { from, to: max };
        this.segments.push(this.session);
      } else this.session.to = Math.max(this.session.to, max);
      return;
    }
    if (max > this.session.to) this.session.to = max;
  }

  /** Folds every segment that touches `completeId` into it. */
  private merge(): void {
    let changed = true;
    while (changed) {
      changed = false;
      for (const s of this.segments) {
        if (s.from <= this.completeValue && s.to > this.completeValue) {
          this.completeValue = s.to;
          changed = true;
        }
      }
    }
    this.segments = this.segments.filter((s) => s === this.session || s.to > this.completeValue);
    this.dedupe.advanceFloor(this.completeValue);
  }

  private take(t: TradeIn, fromLiquidationList: boolean, out: ClientTrade[]): void {
    if (!this.dedupe.admit(t.trade_id)) {
      this.duplicates++;
      return;
    }
    let price: number;
    let size: number;
    try {
      price = scaledInt(t.price, this.market.priceDecimals);
      size = scaledInt(t.size, this.market.sizeDecimals);
    } catch {
      this.badTrades++;
      return;
    }
    out.push({
      id: t.trade_id, marketId: this.market.marketId, price, size, priceText: t.price, sizeText: t.size,
      usdAmount: t.usd_amount, takerSide: t.is_maker_ask ? "buy" : "sell", kind: t.type,
      liquidation: fromLiquidationList || t.type === "liquidation" || t.type === "deleverage",
      askAccountId: t.ask_account_id, bidAccountId: t.bid_account_id, timestamp: t.timestamp,
      blockHeight: t.block_height, raw: t,
    });
  }
}
