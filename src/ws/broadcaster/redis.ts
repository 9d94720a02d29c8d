/**
 * Cross-node fan-out. `publish` delivers on this node at once (through `local`, normally the Bun
 * broadcaster) and sends the frame to one Redis channel that every node subscribes to. A frame
 * arriving from Redis is published locally, unless this node sent it: Redis echoes a publisher's
 * own messages back to its subscriber connection, and without the check every local socket would
 * get each frame twice.
 *
 * Frames sent in one loop turn go out together, in order, in one Redis message at the end of the
 * turn (`setImmediate`, after the turn's I/O callbacks): one PUBLISH, one message for Redis to route
 * and one for every other node to parse, instead of one per frame. A burst of venue frames becomes
 * a handful of messages; the frames wait at most for the rest of their turn, which is also when
 * Bun delivers locally published frames to this node's own sockets.
 *
 * Wire format, version 2 (one frame per message was version 1). The channel's name carries the
 * version (`bridgeChannel`), so nodes that speak another one (a rolling upgrade) never read each
 * other's messages as frames; they miss each other's events until the whole deployment runs one
 * version, and the ingest node's periodic book checkpoints then bring every mirror back.
 * Node ids and topic names are never empty and never contain "\n".
 * - One frame: `${nodeId}\n${topic}\n${frame}`; the frame is the rest of the message, whatever it
 *   contains, passed through as it is, never re-encoded.
 * - Several: `${nodeId}\n\n` (an empty topic), then per frame `${topic}\n${length}\n${frame}`, with
 *   the frame's length in UTF-16 code units (what `String.length` counts on both ends; Redis carries
 *   the UTF-8 bytes). A message that does not parse whole is counted as malformed and skipped whole.
 */
import type Redis from "ioredis";
import type { Logger } from "../../lib/log.ts";
import { atTurnEnd } from "../../lib/turn-end.ts";
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
  /** The shared channel is `bridgeChannel(channelPrefix)`; nodes of one deployment use the same prefix. */
  channelPrefix: string;
  log: Logger;
  /**
   * Runs the end-of-turn send once the turn's I/O callbacks are done (default `setImmediate`). The
   * service passes its turn-end queue's `first` (lib/turn-end.ts), so the send goes out before the
   * ingest pipeline's deferred lane, whichever of them was scheduled first in the turn.
   */
  schedule?: (fn: () => void) => void;
}

/** Counters of the bridge, for /metrics. */
export interface RedisBridgeStats {
  /** Frames sent to Redis. */
  sent: number;
  /** Redis messages they went out in (one per loop turn, or more in a very large turn). */
  messages: number;
  /** Frames from other nodes, published locally. */
  received: number;
  /** Our own messages echoed back by Redis and skipped. */
  echoes: number;
  /** Messages Redis refused or that failed on the connection (the local delivery still happened). */
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

/** The Redis channel of a deployment's bridge, named with the wire format's version. */
export const bridgeChannel = (channelPrefix: string): string => `${channelPrefix}:broadcast:v2`;

/** Most frames in one message; a turn with more sends several. */
const MAX_BATCH_FRAMES = 512;
/** About the most UTF-16 characters of topics and frames in one message (the frame that passes it still goes in). */
const MAX_BATCH_CHARS = 1 << 20;

/**
 * The topic, frame pairs of a batch message, whose records start at `at`; null unless the whole
 * rest of the message is well-formed records.
 */
function unpackBatch(message: string, at: number): string[] | null {
  const out: string[] = [];
  while (at < message.length) {
    const afterTopic = message.indexOf("\n", at);
    const afterLength = afterTopic < 0 ? -1 : message.indexOf("\n", afterTopic + 1);
    if (afterTopic <= at || afterLength < 0) return null;
    const digits = message.slice(afterTopic + 1, afterLength);
    const length = Number(digits);
    const end = afterLength + 1 + length;
    if (!/^\d{1,9}$/.test(digits) || end > message.length) return null;
    out.push(message.slice(at, afterTopic), message.slice(afterLength + 1, end));
    at = end;
  }
  return out.length >= 4 ? out : null;
}

/**
 * Creates the bridge and subscribes at once. `close()` unsubscribes. It leaves `local` and both
 * Redis clients open, because the composition root owns them.
 */
export function createRedisBridge(opts: RedisBridgeOptions): RedisBridge {
  const { pub, sub, local, nodeId } = opts;
  const schedule = opts.schedule ?? atTurnEnd;
  if (!nodeId || nodeId.includes("\n")) throw new RangeError("nodeId must be non-empty and must not contain a newline");
  const channel = bridgeChannel(opts.channelPrefix);
  const ownHeader = nodeId + "\n";
  const log = opts.log.child({ component: "redis-bridge", channel, nodeId });
  const stats: RedisBridgeStats = { sent: 0, messages: 0, received: 0, echoes: 0, sendFailures: 0, malformed: 0 };
  let failing = false;
  let closed = false;
  /** This turn's frames not sent yet: topic, frame, topic, frame, … */
  let pending: string[] = [];
  let pendingChars = 0;
  let scheduled = false;

  /** Publishes one frame from another node here; a failing delivery costs that frame only. */
  const deliver = (topic: string, frame: string) => {
    try {
      local.publish(topic, frame);
    } catch (err) {
      log.error("bridge.local_publish_failed", { err, topic });
    }
  };

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
    if (afterTopic > afterNode + 1) {
      stats.received++;
      deliver(message.slice(afterNode + 1, afterTopic), message.slice(afterTopic + 1));
      return;
    }
    const frames = unpackBatch(message, afterTopic + 1);
    if (frames === null) {
      stats.malformed++;
      return;
    }
    stats.received += frames.length / 2;
    for (let i = 0; i < frames.length; i += 2) deliver(frames[i]!, frames[i + 1]!);
  };

  sub.on("message", onMessage);
  const ready = sub.subscribe(channel).then(() => undefined);
  // Handled here so an un-awaited failure is logged instead of being an unhandled rejection.
  // Callers that await `ready` still see the error.
  ready.catch((err: unknown) => log.error("bridge.subscribe_failed", { err }));

  function sendRemote(topic: string, frame: string): void {
    if (closed) return;
    if (topic === "" || topic.includes("\n")) {
      log.error("bridge.bad_topic", { topic });
      return;
    }
    stats.sent++;
    pending.push(topic, frame);
    pendingChars += topic.length + frame.length;
    if (pending.length >= 2 * MAX_BATCH_FRAMES || pendingChars >= MAX_BATCH_CHARS) flush();
    else if (!scheduled) {
      scheduled = true;
      schedule(flushScheduled);
    }
  }

  function flushScheduled(): void {
    scheduled = false;
    flush();
  }

  /** Sends the pending frames as one message. */
  function flush(): void {
    if (pending.length === 0) return;
    const frames = pending;
    pending = [];
    pendingChars = 0;
    let message: string;
    if (frames.length === 2) message = `${ownHeader}${frames[0]}\n${frames[1]}`;
    else {
      message = `${ownHeader}\n`;
      for (let i = 0; i < frames.length; i += 2) message += `${frames[i]}\n${frames[i + 1]!.length}\n${frames[i + 1]}`;
    }
    stats.messages++;
    // Fire and forget: a slow or absent Redis must never delay local delivery.
    pub.publish(channel, message).then(
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
      flush(); // what this turn already handed over still goes out
      closed = true;
      sub.off("message", onMessage);
      await sub.unsubscribe(channel).catch((err: unknown) => log.warn("bridge.unsubscribe_failed", { err }));
    },
  };
}
