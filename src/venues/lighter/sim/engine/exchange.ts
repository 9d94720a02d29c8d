/**
 * The simulated exchange: markets, accounts, the matching primitives and a discrete-event scheduler
 * in **virtual time**. All randomness comes from one seeded stream and every process is scheduled on
 * the virtual timeline, so the event sequence depends only on the seed and the configuration —
 * never on how `advanceTo` is chunked or how fast the wall clock runs.
 */
import { AccountRegistry, type MarkSource, type SimAccount } from "./accounts.ts";
import type { RestingOrder } from "./book.ts";
import type { SimEvent, SimListener, SimTrade, SimTradeType } from "./events.ts";
import { bookFill, type TakerOrder } from "./fills.ts";
import { IdSequences } from "./ids.ts";
import { Ledger } from "./ledger.ts";
import { MarketState, GENESIS_MS, heightAt, txHash, BLOCK_MS } from "./market-state.ts";
import { DEFAULT_MARKETS, validateMarkets, type MarketSpec } from "./markets.ts";
import { MetricsLog } from "./metrics.ts";
import { createPopulation } from "./population.ts";
import { SimRng } from "./rng.ts";
import { runTimer, type TimerKind } from "./periodic.ts";
import { makerAction, seedLadders } from "./makers.ts";
import { takerAction } from "./takers.ts";

/** Configuration of an engine. */
export interface ExchangeConfig {
  seed: number;
  /** Virtual start time, ms. */
  start: number;
  markets?: readonly MarketSpec[];
  /** Number of trader accounts (default 2,000). */
  accounts?: number;
  /** Target events per second (book deltas + trades) across all markets (default 200). */
  rate?: number;
}

/** Default target rate: about 25 events/s per market on the eight default markets. */
export const DEFAULT_RATE = 200;

const TIMER_KINDS: readonly TimerKind[] = ["block", "stats", "liquidations", "control", "settle"];

/** Share of a market's actions that are maker requotes (the rest are taker arrivals). */
const MAKER_SHARE = 0.6;
const TAKER_SHARE = 0.22;

/** The engine. Fields are public for the engine's own modules (agents, liquidator, periodic tasks). */
export class Exchange implements MarkSource {
  readonly seed: number;
  readonly rng: SimRng;
  readonly markets: MarketState[];
  readonly accounts: AccountRegistry;
  readonly ledger = new Ledger();
  readonly metrics: MetricsLog;
  /** Virtual time, whole ms (what every timestamp shows). */
  now: number;
  /** Virtual time with its fraction (the scheduler's clock). */
  private exact: number;
  rate: number;
  /** Feedback multiplier that keeps the emitted events per second near `rate`. */
  activity = 1;
  /** Events (deltas + trades) since the last rate-control tick, and their moving average. */
  eventsInWindow = 0;
  eventsAverage = -1;
  readonly timers: Record<TimerKind, number>;
  /** Whether anyone consumes `accounts` events (the server sets this; building them costs). */
  accountsWanted: () => boolean = () => false;
  readonly ids: IdSequences;
  private readonly byId = new Map<number, MarketState>();
  private readonly totalWeight: number;
  private readonly listeners = new Set<SimListener>();
  private readonly changed = new Set<number>();
  private pending: SimTrade[] = [];
  private pendingLiquidations: SimTrade[] = [];
  private lastUs = 0;

  constructor(config: ExchangeConfig) {
    const specs = config.markets ?? DEFAULT_MARKETS;
    validateMarkets(specs);
    this.seed = config.seed;
    this.rng = new SimRng(config.seed);
    this.now = Math.floor(config.start);
    this.exact = this.now;
    this.rate = config.rate ?? DEFAULT_RATE;
    this.ids = new IdSequences(config.start);
    this.markets = specs.map((spec) => new MarketState(spec, config.start));
    this.totalWeight = specs.reduce((a, s) => a + s.weight, 0);
    for (const m of this.markets) {
      m.nonce = this.ids.nonce++;
      this.byId.set(m.spec.id, m);
    }
    this.accounts = createPopulation(this.rng, specs, config.accounts ?? 2_000, config.start);
    this.metrics = new MetricsLog(this.accounts.list.length);
    for (const mm of this.accounts.makers) this.ledger.deepTapes.add(mm.index);
    const hour = 3_600_000;
    this.timers = {
      block: (heightAt(config.start) + 1) * BLOCK_MS + GENESIS_MS,
      stats: config.start + 1_000,
      liquidations: config.start + 1_000,
      control: config.start + 1_000,
      settle: Math.floor(config.start / hour) * hour + hour,
    };
    for (const m of this.markets) {
      m.openInterest = this.accounts.list.reduce((sum, a) => sum + Math.max(0, a.positions.get(m.spec.id)?.size ?? 0), 0);
      seedLadders(this, m);
      m.book.takeDirty(); // the starting book is the state, not a delta
      m.nextSample = Math.floor(config.start / 60_000) * 60_000 + 60_000 + this.rng.below(60_000);
    }
    this.reschedule();
  }

  spec(marketId: number): MarketSpec {
    return (this.byId.get(marketId) as MarketState).spec;
  }
  mark(marketId: number): number {
    return (this.byId.get(marketId) as MarketState).mark;
  }
  market(marketId: number): MarketState | undefined {
    return this.byId.get(marketId);
  }

  get height(): number {
    return heightAt(this.now);
  }

  /** Subscribes to engine events; returns the unsubscribe function. */
  on(listener: SimListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: SimEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** Changes the target rate (events/s); redraws the next arrival of every process. */
  setRate(rate: number): void {
    this.rate = Math.max(0, rate);
    this.eventsAverage = -1;
    this.reschedule();
  }

  private reschedule(): void {
    for (const m of this.markets) {
      m.nextMaker = this.nextArrival(m, MAKER_SHARE);
      m.nextTaker = this.nextArrival(m, TAKER_SHARE);
    }
  }

  private nextArrival(m: MarketState, share: number): number {
    const perMs = (this.rate * this.activity * share * m.spec.weight) / this.totalWeight / 1_000;
    return perMs > 0 ? this.exact + this.rng.exponential(perMs) : Infinity;
  }

  /**
   * Runs every process due up to virtual time `target`, at most `maxActions` of them. Returns true
   * when the engine has reached `target` (false: call again, e.g. after yielding to the event loop).
   */
  advanceTo(target: number, maxActions = Infinity): boolean {
    for (let done = 0; done < maxActions; done++) {
      let at = Infinity;
      let market: MarketState | undefined;
      let what: "maker" | "taker" | "sample" | TimerKind = "maker";
      for (const m of this.markets) {
        if (m.nextMaker < at) (at = m.nextMaker), (market = m), (what = "maker");
        if (m.nextTaker < at) (at = m.nextTaker), (market = m), (what = "taker");
        if (m.nextSample < at) (at = m.nextSample), (market = m), (what = "sample");
      }
      for (const kind of TIMER_KINDS) {
        if (this.timers[kind] < at) (at = this.timers[kind]), (market = undefined), (what = kind);
      }
      if (at > target) {
        this.setNow(target);
        return true;
      }
      this.setNow(at);
      if (what === "maker" && market) {
        makerAction(this, market);
        market.nextMaker = this.nextArrival(market, MAKER_SHARE);
      } else if (what === "taker" && market) {
        takerAction(this, market);
        market.nextTaker = this.nextArrival(market, TAKER_SHARE);
      } else if (what === "sample" && market) {
        runTimer(this, "sample", market);
        market.nextSample = Math.floor(this.now / 60_000) * 60_000 + 60_000 + this.rng.below(60_000);
      } else {
        runTimer(this, what as TimerKind);
      }
    }
    return false;
  }

  private setNow(t: number): void {
    if (t > this.exact) {
      this.exact = t;
      this.now = Math.floor(t);
    }
  }

  /** A transaction time in µs: unique and increasing, from the exact virtual time. */
  txTimeUs(): number {
    let us = Math.floor(this.exact * 1000);
    if (us <= this.lastUs) us = this.lastUs + 1;
    this.lastUs = us;
    return us;
  }

  /** Rests a limit order (the caller guarantees it does not cross). */
  place(acct: SimAccount, m: MarketState, isAsk: boolean, price: number, size: number, expiry: number): RestingOrder {
    const order: RestingOrder = {
      orderIndex: this.ids.order(isAsk),
      clientOrderIndex: acct.orderCount + 1,
      account: acct.index, marketId: m.spec.id, isAsk, price, initial: size, remaining: size, filledQuote: 0,
      createdAt: this.now, expiry, transactionTime: this.txTimeUs(), nonce: acct.nonce++, blockHeight: this.height,
    };
    acct.orderCount++;
    acct.orders.add(order.orderIndex);
    m.book.place(order);
    this.changed.add(acct.index);
    return order;
  }

  /** Cancels a resting order; false when it was no longer resting. */
  cancel(m: MarketState, order: RestingOrder): boolean {
    if (!m.book.cancel(order.orderIndex)) return false;
    this.released(order);
    return true;
  }

  private released(order: RestingOrder): void {
    const owner = this.accounts.get(order.account);
    owner?.orders.delete(order.orderIndex);
    if (owner) this.changed.add(owner.index);
  }

  /**
   * An immediate-or-cancel order of `acct`: matches against the book up to `limit` and books every
   * fill on both accounts. Returns the trades (also queued for the action's trade event).
   */
  take(acct: SimAccount, m: MarketState, isAsk: boolean, size: number, limit: number | undefined, type: SimTradeType): SimTrade[] {
    const order = this.newTakerOrder(acct, isAsk);
    const out: SimTrade[] = [];
    for (const fill of m.book.match(isAsk, size, limit, acct.index, (o) => this.released(o))) {
      const maker = this.accounts.get(fill.maker.account) as SimAccount;
      if (fill.maker.remaining === 0) this.released(fill.maker);
      out.push(bookFill(this, m, acct, maker, isAsk, fill.size, fill.price, type, order, fill.maker));
    }
    return out;
  }

  /** A fill outside the book (insurance-fund take-over): `taker` gives its position to `maker` at `price`. */
  settleAgainst(taker: SimAccount, maker: SimAccount, m: MarketState, takerIsAsk: boolean, size: number, price: number, type: SimTradeType): SimTrade {
    return bookFill(this, m, taker, maker, takerIsAsk, size, price, type, this.newTakerOrder(taker, takerIsAsk), undefined);
  }

  private newTakerOrder(acct: SimAccount, isAsk: boolean): TakerOrder {
    acct.orderCount++;
    acct.nonce++;
    return { orderIndex: this.ids.order(isAsk), txTime: this.txTimeUs(), txHash: txHash(this.seed, this.ids.nextTx()) };
  }

  /** Queues a booked trade for the current action's trade event. */
  queueTrade(trade: SimTrade): void {
    (trade.type === "trade" ? this.pending : this.pendingLiquidations).push(trade);
  }

  /**
   * Ends an engine action on market `m`: publishes the touched levels as one delta (continuing the
   * market's nonce chain), the action's trades, and the accounts it changed.
   */
  finishAction(m: MarketState): void {
    const trades = this.pending;
    const liquidations = this.pendingLiquidations;
    const dirty = m.book.takeDirty();
    if (dirty) {
      this.ids.nonce += 1 + trades.length + liquidations.length;
      const timeUs = this.txTimeUs();
      this.emit({
        type: "book.delta", marketId: m.spec.id, beginNonce: m.nonce, nonce: this.ids.nonce, offset: ++m.offset,
        time: this.now, timeUs, asks: dirty.asks, bids: dirty.bids,
      });
      m.beginNonce = m.nonce;
      m.nonce = this.ids.nonce;
      m.lastUpdatedUs = timeUs;
      this.eventsInWindow++;
    }
    if (trades.length > 0 || liquidations.length > 0) {
      this.pending = [];
      this.pendingLiquidations = [];
      this.emit({ type: "trades", marketId: m.spec.id, nonce: m.nonce, time: this.now, trades, liquidationTrades: liquidations });
      this.eventsInWindow += trades.length + liquidations.length;
    }
    if (this.changed.size > 0) {
      if (this.accountsWanted()) this.emit({ type: "accounts", time: this.now, accounts: [...this.changed] });
      this.changed.clear();
    }
  }

  /** Marks an account as changed by the current action (funding, liquidation). */
  touch(account: number): void {
    this.changed.add(account);
  }
}
