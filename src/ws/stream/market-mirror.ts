/**
 * One market as a node's fan-out sees it: the L2 book mirrored from stream events (with the same
 * continuity rule as the MarketActor: a delta applies only when its `beginNonce` is the mirror's
 * nonce), whether that book is trustworthy, and the latest level-3 orders.
 *
 * On the ingest node the mirror is fed synchronously by the MarketActor's own emitted events, so at
 * any moment it equals the actor's book; on other nodes it is fed by the Redis bus and heals from
 * the periodic checkpoints after a lost message.
 */
import { L2Book } from "../../venues/lighter/book";
import type { StreamEvent } from "./events";

/** Outcome of applying a book event to the mirror. */
export type BookOutcome =
  /** A new full book: subscribers get a snapshot frame. */
  | "loaded"
  /** A delta applied in sequence: subscribers get it. */
  | "applied"
  /** Nothing changed (a checkpoint the mirror already holds, a replayed delta). */
  | "unchanged"
  /** A delta out of sequence: the book is stale until the next snapshot or checkpoint. */
  | "gap";

/** The latest level-3 view of a market. */
export interface L3View {
  bids: Extract<StreamEvent, { type: "orders" }>["bids"];
  asks: Extract<StreamEvent, { type: "orders" }>["asks"];
  depth: number;
  ts: number;
}

/** The mirrored state of one market. */
export class MarketMirror {
  readonly book: L2Book;
  /** Nonce of the mirrored state; -1 before the first snapshot. */
  nonce = -1;
  /** Venue time of the mirrored state. */
  ts = 0;
  /** False until a snapshot arrives and after a gap or a stale event. */
  live = false;
  l3: L3View | null = null;
  /** Bumped on every book or L3 change: tells renderers whether a cached frame is current. */
  version = 0;

  constructor(
    readonly marketId: number,
    readonly pd: number,
    readonly sd: number,
  ) {
    this.book = new L2Book(pd, sd);
  }

  /** Applies a book event. */
  apply(e: Extract<StreamEvent, { type: "book.snapshot" | "book.delta" | "book.stale" }>): BookOutcome {
    switch (e.type) {
      case "book.snapshot":
        // A checkpoint at or behind a live mirror's nonce carries nothing new.
        if (e.checkpoint && this.live && e.nonce <= this.nonce) return "unchanged";
        this.book.clear();
        for (const [p, s] of e.bids) this.book.set("bid", p, s);
        for (const [p, s] of e.asks) this.book.set("ask", p, s);
        this.nonce = e.nonce;
        this.ts = e.ts;
        this.live = true;
        this.version++;
        return "loaded";
      case "book.delta":
        if (!this.live) return "unchanged";
        if (e.nonce <= this.nonce) return "unchanged";
        if (e.beginNonce !== this.nonce) {
          this.live = false;
          this.version++;
          return "gap";
        }
        this.book.apply(e.changes);
        this.nonce = e.nonce;
        this.ts = e.ts;
        this.version++;
        return "applied";
      case "book.stale":
        if (!this.live) return "unchanged";
        this.live = false;
        this.version++;
        return "gap";
    }
  }

  /** Replaces the level-3 view. */
  setOrders(e: Extract<StreamEvent, { type: "orders" }>): void {
    this.l3 = { bids: e.bids, asks: e.asks, depth: e.depth, ts: e.ts };
    this.version++;
  }
}
