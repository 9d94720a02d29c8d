/**
 * Snapshot + delta continuity for one market's book (reference §C.4).
 *
 * Rule: every `update/order_book` must have `begin_nonce` equal to the `nonce` of the frame
 * applied before it; the snapshot's own `begin_nonce` means nothing. Nonces jump by more than 1
 * (the sequence is global or batched), so only equality is checked, never `+1`.
 *
 * Decisions:
 * - **Duplicate** (`nonce <= lastNonce`): the venue's deltas form one chain, so a delta ending at
 *   or before the current nonce was already applied (or is covered by the snapshot). Sizes are
 *   absolute, so re-applying it could *revert* newer levels; it is dropped and counted, without a
 *   resync.
 * - **Gap** (`begin_nonce != lastNonce` otherwise — a lost delta, or one delivered out of order):
 *   the book is marked `resyncing`; the caller unsubscribes and resubscribes the channel, and
 *   every delta is ignored until a fresh `subscribed/order_book` snapshot arrives. A reorder
 *   buffer is deliberately not kept: a resync costs one round trip, and a reordered stream is a
 *   sign of trouble upstream rather than something to paper over.
 * - A delta before any snapshot cannot seed a book and is ignored.
 */
import { L2Book, type LevelChange, parseLevels } from "./book.ts";

export type BookSyncState = "awaiting-snapshot" | "live" | "resyncing";

/** What became of one delta. */
export type DeltaOutcome = "applied" | "duplicate" | "gap" | "ignored";

interface WireLevels {
  readonly asks: readonly { price: string; size: string }[];
  readonly bids: readonly { price: string; size: string }[];
}

/** Owns one market's L2 book and its continuity state. */
export class BookSync {
  readonly book: L2Book;
  private stateValue: BookSyncState = "awaiting-snapshot";
  private nonceValue = -1;
  /** The `(expected, got)` pair of the last gap, for logs and events. */
  lastGap: { expected: number; got: number } | null = null;

  constructor(priceDecimals: number, sizeDecimals: number) {
    this.book = new L2Book(priceDecimals, sizeDecimals);
  }

  get state(): BookSyncState {
    return this.stateValue;
  }

  /** Nonce of the last applied frame (-1 before the first snapshot). */
  get nonce(): number {
    return this.nonceValue;
  }

  /**
   * Replaces the book with a snapshot and goes live. Throws RangeError on a malformed level
   * (the book is then left empty and `awaiting-snapshot`).
   */
  applySnapshot(levels: WireLevels, nonce: number): void {
    const changes: LevelChange[] = [];
    parseLevels("bid", levels.bids, this.book.priceDecimals, this.book.sizeDecimals, changes);
    parseLevels("ask", levels.asks, this.book.priceDecimals, this.book.sizeDecimals, changes);
    this.book.clear();
    this.book.apply(changes);
    this.nonceValue = nonce;
    this.stateValue = "live";
  }

  /**
   * Checks continuity and applies a delta. On "applied", the parsed changes are appended to
   * `out`. Throws RangeError on a malformed level (nothing applied; the caller should resync).
   */
  applyDelta(levels: WireLevels, beginNonce: number, nonce: number, out: LevelChange[]): DeltaOutcome {
    if (this.stateValue !== "live") return "ignored";
    if (beginNonce !== this.nonceValue) {
      if (nonce <= this.nonceValue) return "duplicate";
      this.lastGap = { expected: this.nonceValue, got: beginNonce };
      this.stateValue = "resyncing";
      this.book.clear();
      return "gap";
    }
    const start = out.length;
    parseLevels("bid", levels.bids, this.book.priceDecimals, this.book.sizeDecimals, out);
    parseLevels("ask", levels.asks, this.book.priceDecimals, this.book.sizeDecimals, out);
    for (let i = start; i < out.length; i++) {
      const c = out[i]!;
      this.book.set(c.side, c.price, c.size);
    }
    this.nonceValue = nonce;
    return "applied";
  }

  /** Drops the book and waits for a snapshot (disconnect, malformed data, resync timeout). */
  invalidate(): void {
    this.book.clear();
    this.stateValue = this.stateValue === "awaiting-snapshot" ? "awaiting-snapshot" : "resyncing";
  }
}
