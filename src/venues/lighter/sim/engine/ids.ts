/**
 * Id sequences of one engine. Each starts from a base derived from the virtual start time, so a
 * run that continues another (history up to T, then live from T) never reuses an id, and the
 * magnitudes look like the venue's (order ids around 2^48 for asks and 2^49 for bids, §B.1).
 */
import { GENESIS_MS } from "./market-state.ts";

/** Monotonic id counters. */
export class IdSequences {
  /** Global book nonce (per-market chains take every value they publish from it). */
  nonce: number;
  private trade: number;
  private ask: number;
  private bid: number;
  private tx = 0;
  private liquidation: number;
  private funding: number;

  constructor(start: number) {
    const elapsed = Math.max(0, start - GENESIS_MS);
    this.nonce = elapsed * 100;
    this.trade = 10_000_000_000 + elapsed * 50;
    this.ask = 2 ** 48 + elapsed * 1_000;
    this.bid = 2 ** 49 + elapsed * 1_000;
    this.liquidation = 1_000_000 + Math.floor(elapsed / 10);
    this.funding = 1_000_000 + Math.floor(elapsed / 1_000);
  }

  order(isAsk: boolean): number {
    return isAsk ? this.ask++ : this.bid++;
  }

  nextTrade(): number {
    return this.trade++;
  }

  /** Sequence number of the next transaction (hashed into its `tx_hash`). */
  nextTx(): number {
    return this.tx++;
  }

  nextLiquidation(): number {
    return this.liquidation++;
  }

  nextFunding(): number {
    return this.funding++;
  }
}
