/**
 * Ground truth for tests: what the engine's book looked like at every published nonce (a bounded
 * history of deltas with periodic checkpoints), the trade ids it produced, and its accounts. A
 * client integrity test compares its own book at nonce N with `bookAt(market, N)`.
 */
import type { PriceLevel } from "../protocol.ts";
import type { LevelTuple } from "./engine/book.ts";
import type { BookDeltaEvent } from "./engine/events.ts";
import type { Exchange } from "./engine/exchange.ts";
import type { MarketSpec } from "./engine/markets.ts";
import { Ring } from "./engine/ring.ts";
import { levels } from "./server/format.ts";
import { size as formatSize, usdc } from "./server/format.ts";

/** An aggregated book as the wire would carry it (best first), at a given nonce. */
export interface L2Snapshot {
  marketId: number;
  nonce: number;
  offset: number;
  asks: PriceLevel[];
  bids: PriceLevel[];
}

/** A published delta, for `onPublished` listeners; `book()` is the L2 right after it. */
export interface PublishedDelta {
  marketId: number;
  nonce: number;
  beginNonce: number;
  offset: number;
  book(): L2Snapshot;
}

/** An account and its positions, wire-formatted. */
export interface AccountTruth {
  index: number;
  l1Address: string;
  role: "maker" | "trader" | "insurance";
  collateral: string;
  positions: { marketId: number; symbol: string; size: string; sign: number; entryQuote: string }[];
}

/** A delta kept compactly: `levels` = [askCount, p, s, … (asks), p, s, … (bids)]. */
interface StoredDelta {
  nonce: number;
  offset: number;
  levels: Float64Array;
}

/** The book at `nonce` (flat [price, size, price, size, …] arrays), and the deltas that followed it. */
interface Checkpoint {
  nonce: number;
  offset: number;
  asks: number[];
  bids: number[];
  deltas: StoredDelta[];
}

function store(e: BookDeltaEvent): StoredDelta {
  const levels = new Float64Array(1 + 2 * (e.asks.length + e.bids.length));
  levels[0] = e.asks.length;
  let i = 1;
  for (const [p, q] of e.asks) (levels[i++] = p), (levels[i++] = q);
  for (const [p, q] of e.bids) (levels[i++] = p), (levels[i++] = q);
  return { nonce: e.nonce, offset: e.offset, levels };
}

function applyStored(asks: Map<number, number>, bids: Map<number, number>, d: StoredDelta): void {
  const askEnd = 1 + 2 * (d.levels[0] as number);
  for (let i = 1; i < d.levels.length; i += 2) {
    const side = i < askEnd ? asks : bids;
    const p = d.levels[i] as number;
    const q = d.levels[i + 1] as number;
    if (q === 0) side.delete(p);
    else side.set(p, q);
  }
}

const flatten = (side: Map<number, number>): number[] => {
  const out: number[] = [];
  for (const [p, s] of side) out.push(p, s);
  return out;
};
const unflatten = (flat: readonly number[]): Map<number, number> => {
  const side = new Map<number, number>();
  for (let i = 0; i < flat.length; i += 2) side.set(flat[i] as number, flat[i + 1] as number);
  return side;
};

const CHECKPOINT_EVERY = 256;

/** Reconstructs a market's L2 at any recent nonce. */
class MarketTruth {
  private readonly asks = new Map<number, number>();
  private readonly bids = new Map<number, number>();
  private readonly checkpoints: Ring<Checkpoint>;
  private latest!: Checkpoint;
  nonce: number;
  offset: number;

  constructor(readonly spec: MarketSpec, ex: Exchange, history: number) {
    const m = ex.market(spec.id);
    if (!m) throw new RangeError(`unknown market ${spec.id}`);
    const l2 = m.book.l2();
    for (const [p, s] of l2.asks) this.asks.set(p, s);
    for (const [p, s] of l2.bids) this.bids.set(p, s);
    this.nonce = m.nonce;
    this.offset = m.offset;
    this.checkpoints = new Ring(Math.ceil(history / CHECKPOINT_EVERY) + 2);
    this.checkpoint();
  }

  apply(e: BookDeltaEvent): void {
    applyLevels(this.asks, e.asks);
    applyLevels(this.bids, e.bids);
    this.nonce = e.nonce;
    this.offset = e.offset;
    this.latest.deltas.push(store(e));
    if (this.latest.deltas.length >= CHECKPOINT_EVERY) this.checkpoint();
  }

  private checkpoint(): void {
    this.latest = { nonce: this.nonce, offset: this.offset, asks: flatten(this.asks), bids: flatten(this.bids), deltas: [] };
    this.checkpoints.push(this.latest);
  }

  current(): L2Snapshot {
    return this.snapshot(this.asks, this.bids, this.nonce, this.offset);
  }

  at(nonce: number): L2Snapshot | undefined {
    if (nonce === this.nonce) return this.current();
    const base = this.checkpoints.newest(1, (c) => c.nonce <= nonce)[0];
    if (!base) return undefined;
    const asks = unflatten(base.asks);
    const bids = unflatten(base.bids);
    if (base.nonce === nonce) return this.snapshot(asks, bids, nonce, base.offset);
    for (const d of base.deltas) {
      if (d.nonce > nonce) break;
      applyStored(asks, bids, d);
      if (d.nonce === nonce) return this.snapshot(asks, bids, nonce, d.offset);
    }
    return undefined;
  }

  private snapshot(asks: Map<number, number>, bids: Map<number, number>, nonce: number, offset: number): L2Snapshot {
    const sorted = (m: Map<number, number>, asc: boolean): LevelTuple[] =>
      [...m.entries()].sort((a, b) => (asc ? a[0] - b[0] : b[0] - a[0]));
    return { marketId: this.spec.id, nonce, offset, asks: levels(this.spec, sorted(asks, true)), bids: levels(this.spec, sorted(bids, false)) };
  }
}

function applyLevels(side: Map<number, number>, changes: readonly LevelTuple[]): void {
  for (const [p, s] of changes) {
    if (s === 0) side.delete(p);
    else side.set(p, s);
  }
}

/** The simulator's ground truth (tests only). */
export class GroundTruth {
  private readonly markets = new Map<number, MarketTruth>();
  private readonly listeners = new Set<(d: PublishedDelta) => void>();
  private readonly detach: () => void;

  constructor(private readonly ex: Exchange, history = 10_000) {
    for (const m of ex.markets) this.markets.set(m.spec.id, new MarketTruth(m.spec, ex, history));
    this.detach = ex.on((e) => {
      if (e.type !== "book.delta") return;
      const mt = this.markets.get(e.marketId) as MarketTruth;
      mt.apply(e);
      if (this.listeners.size === 0) return;
      const d: PublishedDelta = { marketId: e.marketId, nonce: e.nonce, beginNonce: e.beginNonce, offset: e.offset, book: () => mt.current() };
      for (const l of this.listeners) l(d);
    });
  }

  /** The L2 book of a market as of `nonce` (undefined when older than the kept history). */
  bookAt(marketId: number, nonce: number): L2Snapshot | undefined {
    return this.markets.get(marketId)?.at(nonce);
  }

  /** The L2 book of a market now. */
  book(marketId: number): L2Snapshot | undefined {
    return this.markets.get(marketId)?.current();
  }

  /** The nonce of a market's last delta. */
  nonce(marketId: number): number | undefined {
    return this.markets.get(marketId)?.nonce;
  }

  /** Calls `listener` synchronously for every delta the engine produces (before faults). */
  onPublished(listener: (d: PublishedDelta) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every trade id the engine produced in a market (newest 500,000), oldest first. */
  tradeIds(marketId: number): number[] {
    return this.ex.ledger.tradeIds.get(marketId)?.toArray() ?? [];
  }

  /** Accounts with their collateral and open positions. */
  accounts(): AccountTruth[] {
    return this.ex.accounts.list.map((a) => ({
      index: a.index, l1Address: a.l1Address, role: a.role, collateral: usdc(a.collateral),
      positions: [...a.positions.values()].filter((p) => p.size !== 0).map((p) => {
        const spec = this.ex.spec(p.marketId);
        return { marketId: p.marketId, symbol: spec.symbol, size: formatSize(spec, Math.abs(p.size)), sign: Math.sign(p.size), entryQuote: usdc(p.entryQuote) };
      }),
    }));
  }

  dispose(): void {
    this.detach();
    this.listeners.clear();
  }
}
