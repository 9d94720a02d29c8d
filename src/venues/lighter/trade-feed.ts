/**
 * One market's trades inside the feed: routes `trade:{m}` frames into its `TradeFlow`, runs the
 * REST backfill after a reconnect (one at a time per market, retried on failure) and turns what
 * the flow releases into `trades` / `liquidations` events.
 */
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/log.ts";
import type { ClientTrade, LighterClientStats, LighterEvent, MarketInfo, TradeSource } from "./events.ts";
import type { TradeIn, WsTradeFrameIn } from "./protocol.ts";
import { TradeFlow } from "./trade-flow.ts";

/** The answer of a trade backfill. */
export interface BackfillResult {
  trades: readonly TradeIn[];
  /** False when the fetch stopped (page cap) before reaching `afterId`. */
  reachedAfterId: boolean;
}

/**
 * REST trades of a market with id > `afterId` (any order); `isKnown` tells ids a session already
 * carried (pages of those are re-reads, not gap).
 */
export type BackfillFn = (marketId: number, afterId: number, isKnown: (tradeId: number) => boolean) => Promise<BackfillResult>;

export interface TradeFeedDeps {
  backfill: BackfillFn;
  emit: (event: LighterEvent) => void;
  stats: LighterClientStats;
  log: Logger;
  clock: Clock;
  /** The feed's session counter: a backfill issued in another session is "stale". */
  generation: () => number;
  /** Delays of retries after a failed backfill, ms. */
  retryMs: readonly number[];
  dedupeCapacity?: number;
}

export class MarketTradeFeed {
  readonly flow: TradeFlow;
  private backfilling = false;

  constructor(private readonly info: MarketInfo, private readonly deps: TradeFeedDeps) {
    this.flow = new TradeFlow(info, (_m, trades, source) => this.emit(trades, source), deps.dedupeCapacity);
  }

  /** Continues from the last trade processed before this client started (see TradeFlow.resumeFrom). */
  resumeFrom(lastId: number): void {
    this.flow.resumeFrom(lastId);
  }

  /** A new session: after a disconnect the flow holds trades until it is joined. */
  sessionStarted(reconnect: boolean): void {
    if (reconnect) this.flow.beginReconnect();
  }

  sessionEnded(): void {
    this.flow.endSession();
  }

  onFrame(frame: WsTradeFrameIn): void {
    const before = this.flow.duplicates;
    const snapshot = frame.type === "subscribed/trade";
    this.flow.onFrame(frame.trades, frame.liquidation_trades, snapshot ? "snapshot" : "update");
    this.deps.stats.duplicateTrades += this.flow.duplicates - before;
    // Subscribe first, then backfill: the re-send has opened this session's segment.
    if (snapshot && this.flow.awaitingJoin) this.backfill(0);
  }

  /**
   * Fetches what was missed while disconnected. A result that lands after its session ended is
   * still used (see `TradeFlow.completeBackfill`): with sessions shorter than a backfill,
   * discarding it would let the gap grow without end. When it lands and the current session is
   * still not joined, the next one starts from the advanced `completeId`.
   */
  private backfill(attempt: number): void {
    if (this.backfilling) return;
    this.backfilling = true;
    const generation = this.deps.generation();
    const token = this.flow.beginBackfill();
    const next = () => {
      this.backfilling = false;
      if (this.flow.awaitingJoin) this.backfill(0);
    };
    this.deps.backfill(this.info.marketId, token.afterId, (id) => this.flow.isKnown(id)).then(
      (result) => {
        const before = this.flow.duplicates;
        const current = generation === this.deps.generation();
        if (!result.reachedAfterId) this.deps.stats.backfillTruncations++;
        this.deps.stats.backfilledTrades += this.flow.completeBackfill(token, result.trades, result.reachedAfterId, current);
        this.deps.stats.duplicateTrades += this.flow.duplicates - before;
        next();
      },
      (err: unknown) => {
        if (generation !== this.deps.generation()) return next();
        this.backfilling = false;
        this.deps.log.warn("lighter: trade backfill failed", { marketId: this.info.marketId, attempt, err });
        this.flow.release();
        const delay = this.deps.retryMs[attempt];
        if (delay === undefined) return;
        // The retry does not hold the tape again: what it finds is emitted as a late batch.
        this.deps.clock.setTimeout(() => {
          if (generation === this.deps.generation() && !this.flow.joined) this.backfill(attempt + 1);
        }, delay);
      },
    );
  }

  private emit(trades: ClientTrade[], source: TradeSource): void {
    const marketId = this.info.marketId;
    this.deps.stats.tradesEmitted += trades.length;
    this.deps.emit({ type: "trades", marketId, trades, source });
    const liquidations = trades.filter((t) => t.liquidation);
    if (liquidations.length > 0) this.deps.emit({ type: "liquidations", marketId, trades: liquidations });
  }
}
