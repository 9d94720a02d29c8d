/**
 * In-process broadcaster, for tests and for processes without sockets (an `ingest`-only node
 * whose frames leave only through the Redis bridge). Delivery is synchronous, in subscription order.
 */
import type { BroadcastStats, Broadcaster } from "./port.ts";

/** A memory broadcaster, with direct subscriptions in place of sockets. */
export interface MemoryBroadcaster extends Broadcaster {
  readonly kind: "memory";
  /** Calls `fn` with every frame published to `topic`; returns the unsubscribe function. */
  subscribe(topic: string, fn: (frame: string) => void): () => void;
  readonly stats: BroadcastStats;
}

/** Creates an in-process broadcaster. A subscriber that throws counts as a drop and is not retried. */
export function createMemoryBroadcaster(): MemoryBroadcaster {
  const topics = new Map<string, Set<(frame: string) => void>>();
  const stats: BroadcastStats = { published: 0, dropped: 0, backpressured: 0, noSubscribers: 0 };

  return {
    kind: "memory",
    stats,
    subscribe(topic, fn) {
      let subscribers = topics.get(topic);
      if (!subscribers) topics.set(topic, (subscribers = new Set()));
      // Wrapped so the same function can subscribe twice and each unsubscribe removes only its own.
      const entry = (frame: string) => fn(frame);
      subscribers.add(entry);
      return () => {
        subscribers.delete(entry);
        if (subscribers.size === 0 && topics.get(topic) === subscribers) topics.delete(topic);
      };
    },
    publish(topic, frame) {
      stats.published++;
      const subscribers = topics.get(topic);
      if (!subscribers) {
        stats.noSubscribers = (stats.noSubscribers ?? 0) + 1;
        return;
      }
      // A snapshot, so a subscriber that (un)subscribes during delivery does not change this round.
      for (const fn of [...subscribers]) {
        try {
          fn(frame);
        } catch {
          stats.dropped++;
        }
      }
    },
    async close() {
      topics.clear();
    },
  };
}
