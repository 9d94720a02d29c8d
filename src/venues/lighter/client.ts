/**
 * The Lighter live client: loads markets over REST (`orderBookDetails`, which carries the
 * decimals), then keeps one `/stream` session subscribed to `order_book/{m}`, `trade/{m}`,
 * `market_stats/{m}` (or `market_stats/all`) and `account_all/{a}` of tracked accounts, and turns
 * what arrives into the typed event stream of `events.ts`.
 *
 * Works unchanged against the simulator or the real venue: only `restUrl`/`wsUrl` differ.
 */
import { type Clock, systemClock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/log.ts";
import { Backoff, type BackoffOptions } from "./backoff.ts";
import type { BookView } from "./book.ts";
import type { BookSyncState } from "./book-sync.ts";
import { type LighterClientStats, type LighterEventOf, type LighterListener, type MarketInfo, newStats } from "./events.ts";
import { type BackfillResult, LighterFeed } from "./feed.ts";
import { channels, type PerpsOrderBookDetailIn, type SpotOrderBookDetailIn, type TradeIn } from "./protocol.ts";
import { LighterApiError, LighterRest } from "./rest.ts";
import { type SocketFactory, WsSession } from "./ws-session.ts";

export interface LighterClientOptions {
  /** REST root, e.g. `https://mainnet.zklighter.elliot.ai` or the simulator's `url`. */
  restUrl: string;
  /** WebSocket URL, e.g. `wss://mainnet.zklighter.elliot.ai/stream`. */
  wsUrl: string;
  /** `"all"`: every active perp market; otherwise these ids (perp or spot). */
  markets: "all" | readonly number[];
  log: Logger;
  clock?: Clock;
  /** JSON ping period (default 30 000 ms). */
  pingIntervalMs?: number;
  /** Silence deadline (default 2 × ping + 15 s). */
  silenceTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Connected this long resets the backoff (default 30 000 ms). */
  stableAfterMs?: number;
  /** Reconnect backoff (default base 250 ms, cap 30 s, full jitter). */
  backoff?: BackoffOptions;
  restTimeoutMs?: number;
  resyncTimeoutMs?: number;
  dedupeCapacity?: number;
  /** `account_all` frames leave unparsed, as `account.frame` events (see `parseAccountFrame`). */
  deferAccountFrames?: boolean;
  /** Trade frames, and what follows them other than order-book frames, are handled in a callback this schedules (see `FeedOptions`). */
  deferTradeFrames?: (run: () => void) => void;
  /** Outgoing message budget (defaults: burst 50, 180/min — the venue allows 200/min). */
  sendBurst?: number;
  sendPerMinute?: number;
  /** REST backfills running at once across markets (default 4). */
  backfillConcurrency?: number;
  /**
   * Pages of 100 trades a backfill may read below what the current session already carries
   * (default 50 = 5,000 trades; pages a session already carried are not counted, up to 10× this).
   * `/trades` weighs 600 against the venue's REST budget; raise it freely against the simulator.
   */
  backfillMaxPages?: number;
  socketFactory?: SocketFactory;
  /** Awaited after the market list is loaded and before the stream opens. */
  prepare?: (markets: readonly MarketInfo[]) => Promise<void>;
  fetch?: typeof fetch;
}

export class LighterClient {
  readonly rest: LighterRest;
  readonly stats: LighterClientStats = newStats();
  private readonly clock: Clock;
  private readonly listeners = new Set<LighterListener>();
  private readonly tracked = new Set<number>();
  private readonly resumeAt = new Map<number, number>();
  private feed: LighterFeed | undefined;
  private session: WsSession | undefined;
  private marketList: readonly MarketInfo[] = [];
  private stopped = false;
  private readonly backfillSlots: Semaphore;
  /** Cuts short the wait between market-loading attempts when `stop` is called. */
  private wake: (() => void) | undefined;

  constructor(private readonly opts: LighterClientOptions) {
    this.clock = opts.clock ?? systemClock;
    this.backfillSlots = new Semaphore(opts.backfillConcurrency ?? 4);
    this.rest = new LighterRest({ restUrl: opts.restUrl, timeoutMs: opts.restTimeoutMs, clock: this.clock, fetch: opts.fetch });
  }

  /** Subscribes a listener; returns the unsubscribe function. Listener errors are caught and counted. */
  on(listener: LighterListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Markets being followed (empty before `start` resolves). */
  get markets(): readonly MarketInfo[] {
    return this.marketList;
  }

  /** The live book of a market (read synchronously; stale while resyncing). */
  book(marketId: number): BookView | undefined {
    return this.feed?.book(marketId)?.book;
  }

  /** Continuity state of a market's book: `awaiting-snapshot` | `live` | `resyncing`. */
  bookState(marketId: number): { state: BookSyncState; nonce: number } | undefined {
    const sync = this.feed?.book(marketId);
    return sync ? { state: sync.state, nonce: sync.nonce } : undefined;
  }

  /** Loads markets (retrying with backoff until it works or `stop`), then opens the stream. */
  async start(): Promise<void> {
    const retry = new Backoff(this.opts.backoff);
    for (;;) {
      try {
        this.marketList = await this.loadMarkets();
        break;
      } catch (err) {
        if (this.stopped) return;
        const delay = retry.next();
        this.opts.log.warn("lighter: loading markets failed", { err, retryInMs: delay });
        await new Promise<void>((resolve) => {
          const handle = this.clock.setTimeout(resolve, delay);
          this.wake = () => {
            this.clock.clearTimeout(handle);
            resolve();
          };
        });
        this.wake = undefined;
        if (this.stopped) return;
      }
    }
    if (this.stopped) return;
    this.emit({ type: "markets", markets: this.marketList });
    // The owner may need the market list before the stream opens (to recover where it left off).
    await this.opts.prepare?.(this.marketList);
    if (this.stopped) return;
    const feed = new LighterFeed({
      markets: this.marketList, stats: this.stats, log: this.opts.log, clock: this.clock,
      resyncTimeoutMs: this.opts.resyncTimeoutMs, dedupeCapacity: this.opts.dedupeCapacity, deferAccountFrames: this.opts.deferAccountFrames,
      deferTradeFrames: this.opts.deferTradeFrames,
      emit: (e) => this.emit(e),
      port: {
        send: (frame) => this.session?.send(frame),
        connected: () => this.session?.connectedFrame(),
        requestReconnect: (reason) => this.session?.reconnect(reason),
        backfill: (marketId, afterId, isKnown) => this.backfill(marketId, afterId, isKnown),
      },
    });
    for (const id of this.tracked) feed.trackAccount(id);
    for (const [marketId, lastId] of this.resumeAt) feed.resumeTrades(marketId, lastId);
    this.feed = feed;
    this.session = new WsSession({
      wsUrl: this.opts.wsUrl, clock: this.clock, log: this.opts.log, socketFactory: this.opts.socketFactory,
      pingIntervalMs: this.opts.pingIntervalMs, silenceTimeoutMs: this.opts.silenceTimeoutMs,
      connectTimeoutMs: this.opts.connectTimeoutMs, stableAfterMs: this.opts.stableAfterMs,
      backoff: new Backoff(this.opts.backoff), sendBurst: this.opts.sendBurst, sendPerMinute: this.opts.sendPerMinute,
      subscriptions: () => feed.subscriptions(this.opts.markets === "all"),
      onText: (text) => feed.handleText(text),
      onConnecting: (attempt) => this.emit({ type: "connection", state: "connecting", attempt }),
      onConnected: (reconnect) => {
        this.stats.connects++;
        feed.sessionStarted(reconnect);
        this.emit({ type: "connection", state: "connected", attempt: 0 });
      },
      onDisconnected: (reason, reconnectInMs, attempt) => {
        this.stats.disconnects++;
        feed.sessionEnded();
        this.opts.log.info("lighter: disconnected", { reason, reconnectInMs });
        this.emit({ type: "connection", state: "disconnected", attempt, reason, reconnectInMs });
      },
      onPingSent: () => this.stats.pingsSent++,
    });
    this.session.start();
  }

  /** Closes the stream for good. */
  stop(): void {
    // Frames already received still reach the listeners (see `deferTradeFrames`).
    this.feed?.flushHeld();
    this.stopped = true;
    this.wake?.();
    this.session?.stop();
  }

  /**
   * Declares the last trade of a market already processed before this start (e.g. the newest
   * stored): trades the venue made since are backfilled over REST instead of being lost, and
   * earlier ones are not emitted again. Call before the stream opens (from `prepare`).
   */
  resumeTrades(marketId: number, lastId: number): void {
    this.resumeAt.set(marketId, lastId);
    this.feed?.resumeTrades(marketId, lastId);
  }

  /** The `account` event of an `account.frame` (null: malformed, or no longer a tracked account). */
  parseAccountFrame(e: LighterEventOf<"account.frame">): LighterEventOf<"account"> | null {
    return this.feed?.parseAccountFrame(e.text, e.ts) ?? null;
  }

  /** Counts (and rate-limits the log of) a malformed frame found where it was handled later. */
  noteMalformed(what: string, text: string): void {
    if (this.feed) this.feed.noteMalformed(what, text);
    else this.stats.malformedFrames++;
  }

  /** Starts following `account_all/{id}` (now if connected, and after every reconnect). */
  trackAccount(id: number): void {
    if (this.tracked.has(id)) return;
    this.tracked.add(id);
    this.feed?.trackAccount(id);
    this.session?.send({ type: "subscribe", channel: channels.accountAll(id) });
  }

  untrackAccount(id: number): void {
    if (!this.tracked.delete(id)) return;
    this.feed?.untrackAccount(id);
    this.session?.send({ type: "unsubscribe", channel: channels.accountAll(id) });
  }

  private emit(event: Parameters<LighterListener>[0]): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.stats.listenerErrors++;
        this.opts.log.error("lighter: event listener threw", { err, event: event.type });
      }
    }
  }

  private async loadMarkets(): Promise<MarketInfo[]> {
    const res = await this.rest.orderBookDetails();
    const all = [...res.order_book_details, ...(res.spot_order_book_details ?? [])];
    const wanted = this.opts.markets;
    const picked =
      wanted === "all"
        ? res.order_book_details.filter((d) => d.status === "active")
        : all.filter((d) => wanted.includes(d.market_id));
    if (wanted !== "all") {
      const missing = wanted.filter((id) => !picked.some((d) => d.market_id === id));
      if (missing.length > 0) this.opts.log.warn("lighter: unknown market ids ignored", { missing });
    }
    return picked.map(toMarketInfo);
  }

  /**
   * Trades of `marketId` with id > `afterId`: pages `/trades` (sort_by=trade_id, newest first)
   * back to `afterId`. Only pages holding ids no session carried count toward `backfillMaxPages`;
   * falls back to `recentTrades` (≤ 100) if `/trades` is refused. With no trade seen yet
   * (`afterId` < 0), one `recentTrades` call. At most `backfillConcurrency` run at once, so a
   * reconnect with many markets does not burst the venue's REST limits.
   */
  private async backfill(marketId: number, afterId: number, isKnown: (id: number) => boolean): Promise<BackfillResult> {
    await this.backfillSlots.acquire();
    try {
      return await this.fetchMissed(marketId, afterId, isKnown);
    } finally {
      this.backfillSlots.release();
    }
  }

  private async fetchMissed(marketId: number, afterId: number, isKnown: (id: number) => boolean): Promise<BackfillResult> {
    if (afterId < 0) {
      const res = await this.rest.recentTrades({ market_id: marketId, limit: 100 });
      return { trades: res.trades ?? [], reachedAfterId: true };
    }
    const maxPages = this.opts.backfillMaxPages ?? 50;
    const out: TradeIn[] = [];
    let cursor: string | undefined;
    let gapPages = 0;
    try {
      for (let page = 0; page < maxPages * 10 && gapPages < maxPages; page++) {
        const res = await this.rest.trades({ sort_by: "trade_id", sort_dir: "desc", market_id: marketId, limit: 100, cursor });
        const list = res.trades ?? [];
        let reached = false;
        let gap = false;
        for (const t of list) {
          if (t.trade_id > afterId) out.push(t);
          else reached = true;
          if (!gap && !isKnown(t.trade_id)) gap = true;
        }
        if (reached || list.length === 0 || !res.next_cursor || res.next_cursor === cursor) return { trades: out, reachedAfterId: true };
        if (gap) gapPages++;
        cursor = res.next_cursor;
      }
      this.opts.log.warn("lighter: trade backfill truncated at the page cap; older missed trades are lost", { marketId, afterId, fetched: out.length });
      return { trades: out, reachedAfterId: false };
    } catch (err) {
      if (err instanceof LighterApiError && (err.kind === "timeout" || err.kind === "network")) throw err;
      this.opts.log.warn("lighter: /trades backfill refused, using recentTrades", { marketId, err });
      const list = (await this.rest.recentTrades({ market_id: marketId, limit: 100 })).trades ?? [];
      const trades = list.filter((t) => t.trade_id > afterId);
      return { trades, reachedAfterId: trades.length < list.length };
    }
  }
}

/** Maps an orderBookDetails row; `size_decimals`/`price_decimals` fall back to `supported_*`. */
export function toMarketInfo(d: PerpsOrderBookDetailIn | SpotOrderBookDetailIn): MarketInfo {
  const perp = d as Partial<PerpsOrderBookDetailIn>;
  return {
    marketId: d.market_id,
    symbol: d.symbol,
    marketType: d.market_type,
    status: d.status,
    priceDecimals: d.price_decimals ?? d.supported_price_decimals,
    sizeDecimals: d.size_decimals ?? d.supported_size_decimals,
    quoteDecimals: d.supported_quote_decimals,
    minBaseAmount: d.min_base_amount,
    minQuoteAmount: d.min_quote_amount,
    takerFee: d.taker_fee,
    makerFee: d.maker_fee,
    defaultInitialMarginFraction: perp.default_initial_margin_fraction,
    minInitialMarginFraction: perp.min_initial_margin_fraction,
    maintenanceMarginFraction: perp.maintenance_margin_fraction,
    closeoutMarginFraction: perp.closeout_margin_fraction,
  };
}

/** A counting semaphore (FIFO) bounding concurrent REST backfills. */
class Semaphore {
  private waiters: (() => void)[] = [];
  constructor(private free: number) {}

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}
