/**
 * Backtests: the live evaluator (domain/signals) run over a market's stored history, with the same
 * cooldown measured on event time. Only the kinds of history the rule reads are scanned.
 *
 * Bounds: a range is at most `MAX_BACKTEST_RANGE_MS` (31 days); history is read in pages of
 * `pageSize` rows per kind. `count` is every firing in the range; `firings` holds the first
 * `maxFirings` of them (`truncated` says some were left out).
 *
 * What history gives: trades exactly; book fields from the stored snapshots (1 s live, 30 s in
 * seeded history; the best 50 levels per side); funding from stored settlements; heatmap fields
 * from the per-minute heatmap totals (only where the accounts capability recorded them).
 */
import { compileRule } from "../domain/signals/compile";
import { MarketEvaluator, type MarketDecimals } from "../domain/signals/evaluator";
import { bandDepth } from "../domain/signals/fields";
import { feedBook, feedFunding, feedHeatmap, feedTrade } from "../domain/signals/feed";
import type { SignalField, SignalFiring, SignalRule } from "../domain/signals/rule";
import type { AccountsStore } from "../store/accounts.port";
import type { MarketDataStore } from "../store/ports";
import { historyStreams, mergeHistory, type HistoryCounts } from "./backtest-streams";

/** Longest range one backtest may cover. */
export const MAX_BACKTEST_RANGE_MS = 31 * 24 * 60 * 60 * 1000;
/** Rows per page and kind. */
export const BACKTEST_PAGE_SIZE = 2_000;

/** An invalid range (empty, reversed or longer than `MAX_BACKTEST_RANGE_MS`). */
export class BacktestRangeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = "BacktestRangeError";
  }
}

export interface BacktestOptions {
  marketData: MarketDataStore;
  accounts: AccountsStore;
  venue: string;
  marketId: number;
  market: MarketDecimals;
  rule: SignalRule;
  cooldownSecs: number;
  /** Inclusive, ms. */
  start: number;
  /** Exclusive, ms. */
  end: number;
  maxFirings: number;
  /** Signal id to put in firings (default "backtest"). */
  signalId?: string;
  pageSize?: number;
}

export interface BacktestResult {
  count: number;
  firings: SignalFiring[];
  truncated: boolean;
  scanned: HistoryCounts;
}

const reads = (fields: readonly SignalField[], ...names: SignalField[]) => names.some((n) => fields.includes(n));

/** Runs a rule over [start, end) of a market's history. Throws RuleError or BacktestRangeError. */
export async function runBacktest(o: BacktestOptions): Promise<BacktestResult> {
  if (!Number.isSafeInteger(o.start) || !Number.isSafeInteger(o.end) || o.end <= o.start) throw new BacktestRangeError("end must be after start");
  if (o.end - o.start > MAX_BACKTEST_RANGE_MS) throw new BacktestRangeError(`a backtest covers at most ${MAX_BACKTEST_RANGE_MS / 86_400_000} days`);
  const rule = compileRule(o.rule);
  const cooldownMs = Math.max(0, o.cooldownSecs) * 1000;
  const firings: SignalFiring[] = [];
  let count = 0;
  let armAt = Number.POSITIVE_INFINITY;

  const ev: MarketEvaluator = new MarketEvaluator(o.market, (s, ts) => {
    count++;
    if (firings.length < o.maxFirings) firings.push({ signalId: s.id, venue: o.venue, marketId: o.marketId, ts, values: ev.values(s) });
    if (cooldownMs === 0) ev.arm(s);
    else armAt = ts + cooldownMs;
  });
  const signal = ev.add(o.signalId ?? "backtest", rule, true);

  const f = rule.fields;
  const { streams, counts } = historyStreams({
    marketData: o.marketData, accounts: o.accounts, venue: o.venue, marketId: o.marketId, start: o.start, end: o.end,
    pageSize: o.pageSize ?? BACKTEST_PAGE_SIZE,
    kinds: {
      trades: reads(f, "trade_price", "trade_size", "trade_notional"),
      books: reads(f, "orderbook_spread", "bid_depth", "ask_depth"),
      funding: reads(f, "funding_rate"),
      heatmaps: reads(f, "heatmap_long_at_risk", "heatmap_short_at_risk"),
    },
  });
  const wantsDepth = reads(f, "bid_depth", "ask_depth");

  await mergeHistory(streams, (row) => {
    // The cooldown ends on event time: the first event at or after it is evaluated armed.
    if (row.ts >= armAt) {
      armAt = Number.POSITIVE_INFINITY;
      ev.arm(signal);
    }
    switch (row.kind) {
      case 3:
        feedTrade(ev, row.ts, row.trade.price, row.trade.size);
        break;
      case 0: {
        const { bids, asks } = row.book;
        feedBook(ev, row.ts, bids[0]?.[0] ?? null, asks[0]?.[0] ?? null, wantsDepth ? bandDepth(row.book) : null);
        break;
      }
      case 1:
        feedFunding(ev, row.ts, row.funding.rate);
        break;
      case 2:
        feedHeatmap(ev, row.ts, row.heatmap.longUsd, row.heatmap.shortUsd);
        break;
    }
    return true;
  });
  return { count, firings, truncated: count > firings.length, scanned: counts() };
}
