/**
 * Cross-node fan-out. `publish` delivers on this node at once (through `local`, normally the Bun
 * broadcaster) and sends the frame to one Redis channel that every node subscribes to. A frame
 * arriving from Redis is published locally, unless this node sent it: Redis echoes a publisher's
 * own messages back to its subscriber connection, and without the check every local socket would
 * get each frame twice.
 *
 * Wire format, one Redis message per frame: `${nodeId}\n${topic}\n${frame}`. Node ids and topic
 * names never contain "\n". The frame is the rest of the message, whatever it contains, so it is
 * passed through as it is, never re-encoded. Unpacking is two indexOf calls and two slices.
 */
import type Redis from "ioredis";
import type { Logger } from "../../lib/log.ts";
import type { Broadcaster } from "./port.ts";

/** Options of {@link createRedisBridge}. */
export interface RedisBridgeOptions {
  /** Connection for PUBLISH. Can be shared with the cache and the limiter. */
  pub: Redis;
  /** A connection of its own: after SUBSCRIBE it carries only pub/sub traffic. */
  sub: Redis;
  /** Delivers to this node's sockets. */
  local: Broadcaster;
  /** Unique per process; tells our own echoes apart. */
  nodeId: string;
  /** The shared channel is `${channelPrefix}:broadcast`; nodes of one deployment use the same prefix. */
  channelPrefix: string;
  log: Logger;
}

/** Counters of the bridge, for /metrics. */
export interface RedisBridgeStats {
  /** Frames sent to Redis. */
  sent: number;
  /** Frames from other nodes, published locally. */
  received: number;
  /** Our own frames echoed back by Redis and skipped. */
  echoes: number;
  /** Sends Redis refused or that failed on the connection (the local delivery still happened). */
  sendFailures: number;
  /** Messages on the channel that do not parse. */
  malformed: number;
}

/** A broadcaster spanning nodes. */
export interface RedisBridge extends Broadcaster {
  readonly kind: "redis";
  /** Resolves once the channel subscription is confirmed; frames from other nodes flow after it. */
  readonly ready: Promise<void>;
  readonly stats: RedisBridgeStats;
  /** Sends a frame to the other nodes only: for a caller that has already delivered it here. */
  sendRemote(topic: string, frame: string): void;
}

/**
 * Creates the bridge and subscribes at once. `close()` unsubscribes. It leaves `local` and both
 * Redis clients open, because the composition root owns them.
 */
export function createRedisBridge(opts: RedisBridgeOptions): RedisBridge {
  const { pub, sub, local, nodeId } = opts;
  if (!nodeId || nodeId.includes("\n")) throw new RangeError("nodeId must be non-empty and must not contain a newline");
  const channel = `${opts.channelPrefix}:broadcast`;
  const ownHeader = nodeId + "\n";
  const log = opts.log.child({ component: "redis-bridge", channel, nodeId });
  const stats: RedisBridgeStats = { sent: 0, received: 0, echoes: 0, sendFailures: 0, malformed: 0 };
  let failing = false;
  let closed = false;

  const onMessage = (from: string, message: string) => {
    if (from !== channel || closed) return;
    if (message.startsWith(ownHeader)) {
      stats.echoes++;
      return;
    }
    const afterNode = message.indexOf("\n");
    const afterTopic = afterNode < 0 ? -1 : message.indexOf("\n", afterNode + 1);
    if (afterTopic < 0) {
      stats.malformed++;
      return;
    }
    stats.received++;
    local.publish(message.slice(afterNode + 1, afterTopic), message.slice(afterTopic + 1));
  };

  sub.on("message", onMessage);
  const ready = sub.subscribe(channel).then(() => undefined);
  // Handled here so an un-awaited failure is logged instead of being an unhandled rejection.
  // Callers that await `ready` still see the error.
  ready.catch((err: unknown) => log.error("bridge.subscribe_failed", { err }));

  function sendRemote(topic: string, frame: string): void {
    if (closed) return;
    if (topic.includes("\n")) {
      log.error("bridge.bad_topic", { topic });
      return;
    }
    stats.sent++;
    // Fire and forget: a slow or absent Redis must never delay local delivery.
    pub.publish(channel, `${ownHeader}${topic}\n${frame}`).then(
      () => {
        if (failing) log.info("bridge.send_recovered", { sendFailures: stats.sendFailures });
        failing = false;
      },
      (err: unknown) => {
        stats.sendFailures++;
        if (!failing) log.warn("bridge.send_failed", { err });
        failing = true;
      },
    );
  }

  return {
    kind: "redis",
    ready,
    stats,
    publish(topic, frame) {
      local.publish(topic, frame);
      sendRemote(topic, frame);
    },
    sendRemote,
    async close() {
      if (closed) return;
      closed = true;
      sub.off("message", onMessage);
      await sub.unsubscribe(channel).catch((err: unknown) => log.warn("bridge.unsubscribe_failed", { err }));
    },
  };
}
