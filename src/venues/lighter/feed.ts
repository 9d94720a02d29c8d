/**
 * The frame pipeline of the live client: text → JSON → compiled validator → apply → event.
 * It owns per-market state (book continuity, trade flow, last funding time) and never touches a
 * socket: outgoing frames and reconnect requests go through `FeedPort`, which keeps it testable
 * and benchmarkable with pre-recorded frames. Nothing thrown here escapes `handleText`.
 */
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/log.ts";
import type { LevelChange } from "./book.ts";
import { BookSync, type DeltaOutcome } from "./book-sync.ts";
import type { LighterClientStats, LighterEvent, LighterEventOf, MarketInfo, ResyncReason } from "./events.ts";
import {
  channelNumber, channels, type PerpsMarketStatsIn, type WsClientFrame, wsValidators,
  type WsMarketStatsFrameIn, type WsOrderBookSnapshotIn, type WsOrderBookUpdateIn, type WsTradeFrameIn,
} from "./protocol.ts";
import { type BackfillFn, MarketTradeFeed } from "./trade-feed.ts";
import { ACCOUNT_FRAME_MARK, accountEvent, parseAccountFrameText } from "./account-frames.ts";

export type { BackfillFn, BackfillResult } from "./trade-feed.ts";

/** What the feed needs from its owner. */
export interface FeedPort {
  send(frame: WsClientFrame): void;
  /** The `connected` frame arrived: the session may subscribe. */
  connected(sessionId: string | undefined): void;
  /** Something is wrong beyond a resubscribe (e.g. a resync never completed). */
  requestReconnect(reason: string): void;
  /** REST trades missed while disconnected (see `BackfillFn`). */
  backfill: BackfillFn;
}

export interface FeedOptions {
  markets: readonly MarketInfo[];
  port: FeedPort;
  emit: (event: LighterEvent) => void;
  stats: LighterClientStats;
  log: Logger;
  clock: Clock;
  /** A resync whose snapshot has not arrived by then forces a reconnect (default 10 000 ms). */
  resyncTimeoutMs?: number;
  /** Worst-case trade ids remembered per market while a gap is open (default 65 536). */
  dedupeCapacity?: number;
  /** Delays of backfill retries after a failure, ms (default 1 s, 5 s, 15 s). */
  backfillRetryMs?: readonly number[];
  /** Emit `account_all` frames unparsed (`account.frame`; see account-frames.ts and `parseAccountFrame`). */
  deferAccountFrames?: boolean;
  /**
   * Handle `trade` frames later: when given, a trade frame is only held as it arrives, and so is
   * every frame after it other than an order-book frame; the held frames are handled, in arrival
   * order, by one callback this schedules (the owner passes its end-of-turn queue). So the
   * order-book deltas of a socket read are fanned out without waiting for its trades' parse and
   * trade flow, and every other frame keeps its place after the trades (an `account_all` frame
   * already includes the fills of the trades ahead of it). Held frames are handled before a
   * session starts or ends and on `flushHeld()`, so none crosses a session boundary or is left at stop.
   */
  deferTradeFrames?: (run: () => void) => void;
}

/**
 * Ends `"type":"update/trade"` and `"type":"subscribed/trade"`. A frame of another type that
 * carries it anyway is handled as it would have been, only later.
 */
const TRADE_FRAME_MARK = '/trade"';
/**
 * Ends `"type":"update/order_book"` and `"type":"subscribed/order_book"`. A frame of another type
 * that carries it anyway is handled as it would have been, only earlier.
 */
const BOOK_FRAME_MARK = '/order_book"';

interface MarketState {
  info: MarketInfo;
  sync: BookSync;
  trades: MarketTradeFeed;
  fundingTs: number | undefined;
  resyncTimer: unknown;
}

const MALFORMED_LOG_EVERY_MS = 10_000;

export class LighterFeed {
  private readonly markets = new Map<number, MarketState>();
  /** Frames received and not handled yet: a trade frame and what came after it (`deferTradeFrames`). */
  private held: string[] = [];
  /** The next held frame to handle. */
  private heldNext = 0;
  private readonly handleHeld = () => this.flushHeld();
  private readonly accounts = new Set<number>();
  /** Bumped per session start and end: timers and backfills of another session are stale. */
  private generation = 0;
  private malformedSuppressed = 0;
  private malformedLoggedAt = -Infinity;

  constructor(private readonly opts: FeedOptions) {
    for (const info of opts.markets) {
      const trades = new MarketTradeFeed(info, {
        backfill: (marketId, afterId, isKnown) => opts.port.backfill(marketId, afterId, isKnown), emit: opts.emit, stats: opts.stats, log: opts.log, clock: opts.clock,
        generation: () => this.generation, retryMs: opts.backfillRetryMs ?? [1000, 5000, 15_000],
        dedupeCapacity: opts.dedupeCapacity,
      });
      const sync = new BookSync(info.priceDecimals, info.sizeDecimals);
      this.markets.set(info.marketId, { info, sync, trades, fundingTs: undefined, resyncTimer: undefined });
    }
  }

  /** Trades up to `lastId` were processed before this start; later ones missed meanwhile are backfilled. */
  resumeTrades(marketId: number, lastId: number): void {
    this.markets.get(marketId)?.trades.resumeFrom(lastId);
  }

  /** Book state of a market, for inspection and tests. */
  book(marketId: number): BookSync | undefined {
    return this.markets.get(marketId)?.sync;
  }

  trackAccount(id: number): void {
    this.accounts.add(id);
  }

  untrackAccount(id: number): void {
    this.accounts.delete(id);
  }

  /** Request-form channels to subscribe on every new session. */
  subscriptions(allStats: boolean): string[] {
    const out: string[] = [];
    for (const { info } of this.markets.values()) {
      out.push(channels.orderBook(info.marketId), channels.trade(info.marketId));
      if (!allStats && info.marketType === "perp") out.push(channels.marketStats(info.marketId));
    }
    if (allStats) out.push(channels.marketStats("all"));
    for (const a of this.accounts) out.push(channels.accountAll(a));
    return out;
  }

  /** A new session is subscribed. After a disconnect, trades are held for a backfill. */
  sessionStarted(reconnect: boolean): void {
    this.flushHeld();
    this.generation++;
    for (const m of this.markets.values()) m.trades.sessionStarted(reconnect);
  }

  /** The socket dropped: every book is stale until its next snapshot. */
  sessionEnded(): void {
    this.flushHeld();
    this.generation++;
    for (const m of this.markets.values()) {
      this.clearResyncTimer(m);
      m.trades.sessionEnded();
      if (m.sync.state === "live") {
        m.sync.invalidate();
        this.opts.emit({ type: "book.resync", marketId: m.info.marketId, reason: "disconnect" });
      }
    }
  }

  /** Parses, validates and applies one text frame. Never throws. */
  handleText(text: string): void {
    this.opts.stats.framesReceived++;
    const defer = this.opts.deferTradeFrames;
    if (defer && (this.held.length > 0 ? !text.includes(BOOK_FRAME_MARK) : text.includes(TRADE_FRAME_MARK))) {
      this.held.push(text);
      if (this.held.length === 1) defer(this.handleHeld);
      return;
    }
    this.handleFrame(text);
  }

  /**
   * Handles the frames still held (`deferTradeFrames`), in arrival order. One at a time from the
   * queue itself: when handling one ends the session (a listener that reconnects or stops the
   * client), the flush that the boundary runs handles the rest before it.
   */
  flushHeld(): void {
    while (this.heldNext < this.held.length) this.handleFrame(this.held[this.heldNext++] as string);
    this.held = [];
    this.heldNext = 0;
  }

  private handleFrame(text: string): void {
    if (this.opts.deferAccountFrames && text.includes(ACCOUNT_FRAME_MARK)) {
      this.opts.emit({ type: "account.frame", text, ts: this.opts.clock.now() });
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return this.noteMalformed("invalid JSON", text);
    }
    try {
      this.dispatch(frame, text);
    } catch (err) {
      this.noteMalformed(`handler failed: ${String(err)}`, text);
    }
  }

  /**
   * The `account` event of an `account.frame` (null: untracked, or malformed, which is counted;
   * so is a frame that carried the mark without being an account frame). Never throws.
   */
  parseAccountFrame(text: string, ts: number): LighterEventOf<"account"> | null {
    const event = parseAccountFrameText(text, this.accounts, ts);
    if (event === "malformed") this.noteMalformed("deferred account_all", text);
    return event === "malformed" ? null : event;
  }

  private dispatch(frame: unknown, text: string): void {
    const type = typeof frame === "object" && frame !== null ? (frame as { type?: unknown }).type : undefined;
    const v = wsValidators;
    switch (type) {
      case "update/order_book":
        return v["update/order_book"].Check(frame) ? this.onBookDelta(frame) : this.noteMalformed(type, text);
      case "subscribed/order_book":
        return v["subscribed/order_book"].Check(frame) ? this.onBookSnapshot(frame) : this.noteMalformed(type, text);
      case "update/trade":
      case "subscribed/trade":
        return v.trade.Check(frame) ? this.onTrades(frame) : this.noteMalformed(type, text);
      case "update/market_stats":
      case "subscribed/market_stats":
        return v.market_stats.Check(frame) ? this.onStats(frame) : this.noteMalformed(type, text);
      case "update/account_all":
      case "subscribed/account_all": {
        const event = accountEvent(frame, type, this.accounts, this.opts.clock.now());
        if (event === "malformed") return this.noteMalformed(type, text);
        if (event) this.opts.emit(event);
        return;
      }
      case "ping":
        this.opts.stats.pingsAnswered++;
        return this.opts.port.send({ type: "pong" });
      case "pong":
      case "unsubscribed":
      case "subscribed/height":
      case "update/height":
        return;
      case "connected":
        return v.connected.Check(frame) ? this.opts.port.connected(frame.session_id) : this.noteMalformed(type, text);
      case "error":
        return v.error.Check(frame) ? this.venueError(frame.code, frame.message) : this.noteMalformed(type, text);
      default:
        if (v.nestedError.Check(frame)) return this.venueError(frame.error.code, frame.error.message);
        this.opts.stats.unknownFrames++;
        if (this.opts.log.enabled("debug")) this.opts.log.debug("lighter: unknown frame", { frame: text.slice(0, 200) });
    }
  }

  private onBookSnapshot(frame: WsOrderBookSnapshotIn): void {
    const m = this.marketOf(frame.channel, "order_book");
    if (!m) return;
    try {
      m.sync.applySnapshot(frame.order_book, frame.order_book.nonce);
    } catch (err) {
      this.noteMalformed(`bad snapshot level: ${String(err)}`, "");
      return this.resync(m, "malformed");
    }
    this.clearResyncTimer(m);
    this.opts.stats.bookSnapshots++;
    const ts = frame.timestamp ?? this.opts.clock.now();
    this.opts.emit({ type: "book.snapshot", marketId: m.info.marketId, book: m.sync.book, nonce: m.sync.nonce, ts });
  }

  private onBookDelta(frame: WsOrderBookUpdateIn): void {
    const m = this.marketOf(frame.channel, "order_book");
    if (!m) return;
    const ob = frame.order_book;
    const changes: LevelChange[] = [];
    let outcome: DeltaOutcome;
    try {
      outcome = m.sync.applyDelta(ob, ob.begin_nonce, ob.nonce, changes);
    } catch (err) {
      this.noteMalformed(`bad delta level: ${String(err)}`, "");
      return this.resync(m, "malformed");
    }
    const stats = this.opts.stats;
    if (outcome === "applied") {
      stats.bookDeltas++;
      const ts = frame.timestamp ?? this.opts.clock.now();
      this.opts.emit({ type: "book.delta", marketId: m.info.marketId, changes, book: m.sync.book, beginNonce: ob.begin_nonce, nonce: ob.nonce, ts });
    } else if (outcome === "duplicate") stats.duplicateDeltas++;
    else if (outcome === "ignored") stats.ignoredDeltas++;
    else {
      stats.gaps++;
      const gap = m.sync.lastGap;
      this.opts.log.info("lighter: book gap, resyncing", { marketId: m.info.marketId, expected: gap?.expected, got: gap?.got });
      this.resync(m, "gap", gap?.expected, gap?.got);
    }
  }

  /** Marks the book stale, resubscribes its channel and arms the resync deadline. */
  private resync(m: MarketState, reason: ResyncReason, expectedNonce?: number, gotBeginNonce?: number): void {
    m.sync.invalidate();
    this.opts.stats.resyncs++;
    this.opts.emit({ type: "book.resync", marketId: m.info.marketId, reason, expectedNonce, gotBeginNonce });
    const channel = channels.orderBook(m.info.marketId);
    this.opts.port.send({ type: "unsubscribe", channel });
    this.opts.port.send({ type: "subscribe", channel });
    this.clearResyncTimer(m);
    const generation = this.generation;
    m.resyncTimer = this.opts.clock.setTimeout(() => {
      m.resyncTimer = undefined;
      if (generation === this.generation && m.sync.state !== "live") {
        this.opts.emit({ type: "book.resync", marketId: m.info.marketId, reason: "timeout" });
        this.opts.port.requestReconnect(`order_book/${m.info.marketId} resync timed out`);
      }
    }, this.opts.resyncTimeoutMs ?? 10_000);
  }

  private clearResyncTimer(m: MarketState): void {
    if (m.resyncTimer !== undefined) this.opts.clock.clearTimeout(m.resyncTimer);
    m.resyncTimer = undefined;
  }

  private onTrades(frame: WsTradeFrameIn): void {
    this.marketOf(frame.channel, "trade")?.trades.onFrame(frame);
  }

  private onStats(frame: WsMarketStatsFrameIn): void {
    const ts = frame.timestamp ?? this.opts.clock.now();
    const ms = frame.market_stats;
    if (typeof (ms as PerpsMarketStatsIn).market_id === "number") return this.statsOf(ms as PerpsMarketStatsIn, ts);
    for (const key in ms) this.statsOf((ms as Record<string, PerpsMarketStatsIn>)[key]!, ts);
  }

  private statsOf(stats: PerpsMarketStatsIn, ts: number): void {
    const m = this.markets.get(stats.market_id);
    if (!m) return;
    this.opts.emit({ type: "stats", marketId: stats.market_id, stats, ts });
    const prev = m.fundingTs;
    m.fundingTs = stats.funding_timestamp;
    // The first observation only sets the baseline: it may be an old settlement.
    if (prev !== undefined && stats.funding_timestamp > prev) {
      this.opts.emit({
        type: "funding", marketId: stats.market_id, fundingTimestamp: stats.funding_timestamp,
        rate: stats.funding_rate, markPrice: stats.mark_price, indexPrice: stats.index_price, ts,
      });
    }
  }

  private marketOf(channel: string, prefix: string): MarketState | undefined {
    const id = channelNumber(channel, prefix);
    return id === null ? undefined : this.markets.get(id);
  }

  private venueError(code: number, message: string): void {
    this.opts.stats.errorFrames++;
    this.opts.log.warn("lighter: venue error frame", { code, message });
    this.opts.emit({ type: "venue.error", code, message });
  }

  /**
   * Counts a malformed frame (also one found where it was handled later, e.g. an account frame
   * parsed on the account-tracking thread); logs at most one line per 10 s with the number suppressed.
   */
  noteMalformed(what: string, text: string): void {
    this.opts.stats.malformedFrames++;
    const now = this.opts.clock.now();
    if (now - this.malformedLoggedAt < MALFORMED_LOG_EVERY_MS) {
      this.malformedSuppressed++;
      return;
    }
    this.opts.log.warn("lighter: malformed frame", { what, frame: text.slice(0, 300), suppressed: this.malformedSuppressed });
    this.malformedLoggedAt = now;
    this.malformedSuppressed = 0;
  }
}
