/**
 * Faster-than-real-time runs of the engine: `runHistory` advances the virtual clock from `from` to
 * `to` as fast as the CPU allows and hands out wire-shaped events (trades, periodic book snapshots,
 * optional deltas, fundings, liquidations, market stats) — the same event types the live simulator
 * publishes, used to seed a store with history. The loop yields to the event loop every few
 * milliseconds of work and awaits `onEvent` when it returns a promise (back-pressure).
 */
import type { Funding, Liquidation, PerpsMarketStats, Trade, WsOrderBookFrame } from "../protocol.ts";
import type { SimEvent, SimTrade } from "./engine/events.ts";
import { Exchange, DEFAULT_RATE } from "./engine/exchange.ts";
import { formatRate4 } from "./engine/funding.ts";
import type { MarketState } from "./engine/market-state.ts";
import type { MarketSpec } from "./engine/markets.ts";
import { bookFrame, fixed, marketStats, trade } from "./server/format.ts";
import { liquidation } from "./server/format-account.ts";

/**
 * A history event, in the venue's wire shapes. `trades` and `liquidationTrades` are newest first,
 * as in an `update/trade` frame; `book` is a full snapshot (`subscribed/order_book` form).
 */
export type HistoryEvent =
  | { type: "trades"; marketId: number; time: number; nonce: number; trades: Trade[]; liquidationTrades: Trade[] }
  | { type: "book"; marketId: number; time: number; frame: WsOrderBookFrame }
  | { type: "book.delta"; marketId: number; time: number; frame: WsOrderBookFrame }
  | { type: "funding"; marketId: number; time: number; funding: Funding; signedRate: string }
  | { type: "liquidation"; marketId: number; account: number; time: number; liquidation: Liquidation }
  | { type: "stats"; marketId: number; time: number; stats: PerpsMarketStats };

/** Progress of a history run. */
export interface HistoryProgress {
  /** Virtual time reached, ms. */
  time: number;
  from: number;
  to: number;
  /** 0…1. */
  fraction: number;
  events: number;
}

/** Options of `runHistory`. */
export interface HistoryOptions {
  seed: number;
  /** Virtual start and end, ms. */
  from: number;
  to: number;
  markets?: readonly MarketSpec[];
  accounts?: number;
  /** Target events per second of virtual time (default 200; a sparse history may use less). */
  rate?: number;
  onEvent(event: HistoryEvent): void | Promise<void>;
  onProgress?(progress: HistoryProgress): void;
  /** Book snapshot (and market stats) cadence, virtual ms (default 60,000). */
  snapshotEveryMs?: number;
  /** Also emit every order-book delta (default false: only periodic snapshots). */
  includeDeltas?: boolean;
  signal?: AbortSignal;
}

/** Totals of a finished (or aborted) run. */
export interface HistorySummary {
  events: number;
  trades: number;
  liquidations: number;
  fundings: number;
  /** Virtual time reached. */
  reached: number;
  wallMs: number;
  /** The engine, positioned at `reached` (a live simulator can continue from it). */
  engine: Exchange;
}

/** Virtual ms advanced per slice, and wall ms of work between yields. */
const SLICE_MS = 10_000;
const YIELD_EVERY_MS = 12;

const newestFirst = (list: readonly SimTrade[], spec: MarketSpec): Trade[] => list.map((t) => trade(t, spec)).reverse();

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Advances `ex` to `target` in slices, yielding every few ms of work. `afterSlice` runs between
 * slices (deliver buffered events, report progress).
 */
export async function fastForward(ex: Exchange, target: number, afterSlice?: () => Promise<void> | void, signal?: AbortSignal): Promise<void> {
  let lastYield = performance.now();
  while (ex.now < target && !signal?.aborted) {
    const sliceEnd = Math.min(target, ex.now + SLICE_MS);
    while (!ex.advanceTo(sliceEnd, 2_000)) {
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await afterSlice?.();
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    await afterSlice?.();
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
}

/** Runs the engine from `from` to `to` as fast as possible, delivering wire-shaped events. */
export async function runHistory(opts: HistoryOptions): Promise<HistorySummary> {
  const started = performance.now();
  const ex = new Exchange({ seed: opts.seed, start: opts.from, markets: opts.markets, accounts: opts.accounts, rate: opts.rate ?? DEFAULT_RATE });
  const every = opts.snapshotEveryMs ?? 60_000;
  const summary = { events: 0, trades: 0, liquidations: 0, fundings: 0 };
  let buffer: HistoryEvent[] = [];
  let nextSnapshot = opts.from;
  const convert = (e: SimEvent): void => {
    const m = "marketId" in e ? (ex.market(e.marketId) as MarketState) : undefined;
    if (e.type === "trades" && m) {
      summary.trades += e.trades.length + e.liquidationTrades.length;
      buffer.push({ type: "trades", marketId: e.marketId, time: e.time, nonce: e.nonce,
        trades: newestFirst(e.trades, m.spec), liquidationTrades: newestFirst(e.liquidationTrades, m.spec) });
    } else if (e.type === "book.delta" && m && opts.includeDeltas) {
      buffer.push({ type: "book.delta", marketId: e.marketId, time: e.time,
        frame: bookFrame("update/order_book", m.spec, e.asks, e.bids, e.offset, e.nonce, e.beginNonce, e.timeUs, e.time) });
    } else if (e.type === "funding" && m) {
      summary.fundings++;
      const funding: Funding = {
        timestamp: Math.floor(e.time / 1000), value: fixed(e.indexPrice * Math.abs(e.rate4), m.spec.priceDecimals + 6),
        rate: formatRate4(Math.abs(e.rate4)), direction: e.rate4 >= 0 ? "long" : "short",
      };
      buffer.push({ type: "funding", marketId: e.marketId, time: e.time, funding, signedRate: formatRate4(e.rate4) });
    } else if (e.type === "liquidation") {
      summary.liquidations++;
      const record = ex.ledger.liquidations.get(e.account)?.last();
      if (record && record.id === e.liquidationId) {
        buffer.push({ type: "liquidation", marketId: e.marketId, account: e.account, time: e.time, liquidation: liquidation(ex, record) });
      }
    } else if (e.type === "stats" && e.time >= nextSnapshot) {
      nextSnapshot = e.time + every;
      for (const x of ex.markets) {
        const l2 = x.book.l2();
        buffer.push({ type: "book", marketId: x.spec.id, time: e.time,
          frame: bookFrame("subscribed/order_book", x.spec, l2.asks, l2.bids, x.offset, x.nonce, x.beginNonce, x.lastUpdatedUs, e.time) });
        buffer.push({ type: "stats", marketId: x.spec.id, time: e.time, stats: marketStats(ex, x) });
      }
    }
  };
  const detach = ex.on(convert);
  const deliver = async (): Promise<void> => {
    const batch = buffer;
    buffer = [];
    for (const ev of batch) {
      summary.events++;
      const r = opts.onEvent(ev);
      if (r instanceof Promise) await r;
    }
    opts.onProgress?.({ time: ex.now, from: opts.from, to: opts.to, fraction: (ex.now - opts.from) / Math.max(1, opts.to - opts.from), events: summary.events });
  };
  try {
    await fastForward(ex, opts.to, deliver, opts.signal);
    await deliver();
  } finally {
    detach();
  }
  return { ...summary, reached: ex.now, wallMs: performance.now() - started, engine: ex };
}
