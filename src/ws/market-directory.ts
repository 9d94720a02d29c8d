/**
 * The markets a subscription may name, readable synchronously by connection actors: the venue's
 * catalog from the live read model (cache; shared through Redis across nodes), refreshed on a
 * timer, plus any market seen on the stream bus in between.
 */
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { LiveMarketView } from "../market/live";
import type { MarketDirectory } from "./connection/subscriptions";

/** How often the catalog is re-read. Markets rarely change; the stream teaches new ones sooner. */
const REFRESH_MS = 5_000;

/** A market directory that keeps itself current. */
export interface RefreshingDirectory extends MarketDirectory {
  /** Records a market seen elsewhere (a stream event). */
  learn(marketId: number, priceDecimals: number): void;
  /** Reads the catalog now. */
  refresh(): Promise<void>;
  stop(): void;
}

/** Starts a directory that reads the catalog now and every few seconds. */
export function createMarketDirectory(deps: { live: LiveMarketView; venue: string; clock: Clock; log: Logger }): RefreshingDirectory {
  const known = new Map<number, number>();
  let timer: unknown = null;
  let stopped = false;
  let failing = false;

  const refresh = async () => {
    try {
      for (const m of await deps.live.markets(deps.venue)) known.set(m.marketId, m.priceDecimals);
      failing = false;
    } catch (err) {
      if (!failing) deps.log.warn("ws market catalog refresh failed", { err });
      failing = true;
    }
  };
  const loop = () => {
    void refresh().finally(() => {
      if (!stopped) timer = deps.clock.setTimeout(loop, REFRESH_MS);
    });
  };
  loop();

  return {
    priceDecimals: (marketId) => known.get(marketId),
    learn: (marketId, pd) => void known.set(marketId, pd),
    refresh,
    stop() {
      stopped = true;
      if (timer !== null) deps.clock.clearTimeout(timer);
    },
  };
}
