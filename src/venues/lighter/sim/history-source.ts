/**
 * The simulator as a source of history frames for seeding: `runHistory` fast-forwards an engine
 * and each event is rendered as the WebSocket frame the live simulator would have published, so the
 * seeder feeds them through the client's own frame handling. After a run, `engine` holds the
 * engine positioned at the end of the last window, for a live simulator to continue from.
 */
import { toMarketInfo } from "../client.ts";
import type { HistoryFrameSource } from "../../../ingest/seeder.ts";
import { Exchange, DEFAULT_RATE } from "./engine/exchange.ts";
import { DEFAULT_MARKETS, type MarketSpec } from "./engine/markets.ts";
import type { MarketState } from "./engine/market-state.ts";
import { perpDetail } from "./server/format.ts";
import { runHistory, type HistoryEvent } from "./history.ts";

/** The seeder's history port, plus the engine a live simulator can continue from. */
export interface SimHistorySource extends HistoryFrameSource {
  /** The engine of the latest run, positioned at its end. */
  readonly engine: Exchange | undefined;
}

/** Renders a history event as the live simulator's frame, or null for events the client derives itself. */
function toFrame(e: HistoryEvent): string | null {
  switch (e.type) {
    case "trades":
      return JSON.stringify({ channel: `trade:${e.marketId}`, type: "update/trade", nonce: e.nonce, trades: e.trades, liquidation_trades: e.liquidationTrades });
    case "book":
    case "book.delta":
      return JSON.stringify(e.frame);
    case "stats":
      return JSON.stringify({ channel: `market_stats:${e.marketId}`, type: "update/market_stats", timestamp: e.time, market_stats: e.stats });
    default:
      // Funding settlements and liquidations reach the client through stats and trade frames.
      return null;
  }
}

export function simHistorySource(opts: { seed: number; markets?: readonly MarketSpec[]; accounts?: number; rate?: number }): SimHistorySource {
  const specs = opts.markets ?? DEFAULT_MARKETS;
  const probe = new Exchange({ seed: opts.seed, start: 0, markets: specs, accounts: 1, rate: DEFAULT_RATE });
  const markets = probe.markets.map((m: MarketState) => toMarketInfo(perpDetail(probe, m)));
  let engine: Exchange | undefined;
  return {
    markets,
    get engine() {
      return engine;
    },
    async run(run) {
      const summary = await runHistory({
        seed: opts.seed,
        from: run.from,
        to: run.to,
        markets: specs,
        accounts: opts.accounts,
        rate: opts.rate,
        snapshotEveryMs: run.snapshotEveryMs,
        onEvent(e) {
          const frame = toFrame(e);
          if (frame) run.onFrame(frame, e.time);
        },
        onProgress: (p) => run.onProgress(p.fraction),
      });
      engine = summary.engine;
    },
  };
}
