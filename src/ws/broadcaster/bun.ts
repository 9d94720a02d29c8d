/**
 * The only code in the project that calls Bun's `server.publish`. Everything else publishes
 * through the Broadcaster port, so fan-out is counted in one place and tests can swap it.
 */
import type { BroadcastStats, Broadcaster } from "./port.ts";

/**
 * The part of `Bun.Server` this adapter uses. `publish` returns the bytes sent, 0 when nothing was
 * sent, or -1 under backpressure.
 */
export interface BunPublishTarget {
  publish(topic: string, data: string, compress?: boolean): number;
  /** When present, tells a 0 caused by an empty topic from a real drop. */
  subscriberCount?(topic: string): number;
}

/** A broadcaster over a Bun server, with counters for /metrics. */
export interface BunBroadcaster extends Broadcaster {
  readonly kind: "bun";
  readonly stats: BroadcastStats;
}

/**
 * Creates the Bun broadcaster. A 0 from `publish` is ambiguous: Bun returns it for a topic nobody
 * subscribes to (measured on Bun 1.4.5) as well as for a dropped frame. So on 0 it asks
 * `subscriberCount`. That is paid only on the 0 path, never on a normal send. After `close()`
 * (the server is stopping) frames are discarded instead of reaching a stopped server.
 */
export function createBunBroadcaster(server: BunPublishTarget, opts: { compress?: boolean } = {}): BunBroadcaster {
  const stats: BroadcastStats = { published: 0, dropped: 0, backpressured: 0, noSubscribers: 0 };
  const compress = opts.compress ?? false;
  let closed = false;

  return {
    kind: "bun",
    stats,
    publish(topic, frame) {
      if (closed) return;
      stats.published++;
      const status = server.publish(topic, frame, compress);
      if (status > 0) return;
      if (status === -1) stats.backpressured++;
      else if (frame.length > 0 && server.subscriberCount?.(topic) === 0) stats.noSubscribers = (stats.noSubscribers ?? 0) + 1;
      else if (frame.length > 0) stats.dropped++;
    },
    async close() {
      closed = true;
    },
  };
}
