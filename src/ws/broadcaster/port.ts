/**
 * The one way actors' events reach sockets: `publish(topic, frame)`. The Bun adapter is the only
 * code that calls `server.publish`; the Redis bridge republishes across nodes; the memory adapter
 * serves tests and processes without a server.
 */
export interface Broadcaster {
  readonly kind: "memory" | "bun" | "redis";
  /** Sends an already-serialized frame to every subscriber of `topic`. */
  publish(topic: string, frame: string): void;
  close(): Promise<void>;
}

/** Counters every adapter keeps, exported in /metrics. */
export interface BroadcastStats {
  published: number;
  /** Frames Bun reported as dropped (a subscriber's buffer was full or it was closed). */
  dropped: number;
  /** Frames Bun accepted but queued behind backpressure. */
  backpressured: number;
  /**
   * Frames published to a topic nobody was subscribed to. Bun's publish returns 0 both for that
   * and for a drop, and only the Bun adapter can tell them apart (via subscriberCount). Without
   * this counter, every event of an unwatched market would show up as "dropped".
   */
  noSubscribers?: number;
}
