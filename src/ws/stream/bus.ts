/**
 * Carries stream events from the ingest node to every node's fan-out. In one process it is a
 * synchronous call (objects, no serialization). With Redis it rides on the Redis bridge
 * (broadcaster/redis.ts) as frames of one internal topic: the bridge already gives each node its
 * own echo filter, fire-and-forget sends that never delay local delivery, and counters.
 *
 * Events, not rendered frames, cross nodes on purpose: a node renders only the topics its own
 * sockets hold (custom-tick views, anonymous views), and keeps the mirror it needs to give a new
 * subscriber its snapshot — neither is possible from another node's frames.
 */
import type Redis from "ioredis";
import type { Logger } from "../../lib/log";
import { createRedisBridge, type RedisBridge } from "../broadcaster/redis";
import type { StreamEvent, StreamListener } from "./events";

/** The internal topic events travel on (never a client topic: clients cannot name it). */
export const STREAM_EVENTS_TOPIC = "_stream_events";

/** How stream events reach every node's fan-out. */
export interface StreamBus {
  readonly kind: "local" | "redis";
  /** Delivers `e` to this node's listeners and, with Redis, to every other node's. */
  publish(e: StreamEvent): void;
  subscribe(listener: StreamListener): () => void;
  /** Resolves once events from other nodes flow (at once for the local bus). */
  readonly ready: Promise<void>;
  /** Counters of the Redis bridge (undefined for the local bus). */
  readonly bridge?: RedisBridge["stats"];
  /** Events from other nodes that could not be decoded. */
  readonly undecodable: number;
  close(): Promise<void>;
}

/**
 * Listener fan-out. A listener that throws is reported and skipped: the publisher is a MarketActor's
 * event handler and must never see a subscriber's failure.
 */
function listeners(onError: (err: unknown) => void) {
  const set = new Set<StreamListener>();
  return {
    add(fn: StreamListener) {
      set.add(fn);
      return () => void set.delete(fn);
    },
    emit(e: StreamEvent) {
      for (const fn of set) {
        try {
          fn(e);
        } catch (err) {
          onError(err);
        }
      }
    },
  };
}

/** The in-process bus of a single node. */
export function createLocalBus(log: Logger): StreamBus {
  const ls = listeners((err) => log.error("stream-bus.listener_failed", { err }));
  return {
    kind: "local",
    publish: (e) => ls.emit(e),
    subscribe: (fn) => ls.add(fn),
    ready: Promise.resolve(),
    undecodable: 0,
    async close() {},
  };
}

/** A bus spanning the nodes that share `channelPrefix` on one Redis. */
export function createRedisBus(opts: {
  pub: Redis;
  sub: Redis;
  nodeId: string;
  channelPrefix: string;
  log: Logger;
  /** When the bridge's end-of-turn send runs (default `setImmediate`; the service passes its turn-end queue's `first`). */
  schedule?: (fn: () => void) => void;
}): StreamBus {
  const log = opts.log.child({ component: "stream-bus" });
  const ls = listeners((err) => log.error("stream-bus.listener_failed", { err }));
  let undecodable = 0;
  // Frames reaching `local` are other nodes' events (this node's own are emitted directly).
  const bridge = createRedisBridge({
    pub: opts.pub,
    sub: opts.sub,
    nodeId: opts.nodeId,
    channelPrefix: opts.channelPrefix,
    log: opts.log,
    schedule: opts.schedule,
    local: {
      kind: "memory",
      publish(topic, frame) {
        if (topic !== STREAM_EVENTS_TOPIC) return;
        let e: StreamEvent;
        try {
          e = JSON.parse(frame) as StreamEvent;
        } catch (err) {
          if (undecodable++ === 0) log.warn("stream-bus.undecodable", { err });
          return;
        }
        ls.emit(e);
      },
      async close() {},
    },
  });
  return {
    kind: "redis",
    // This node's listeners get the event itself; only the other nodes need it encoded.
    publish: (e) => {
      ls.emit(e);
      bridge.sendRemote(STREAM_EVENTS_TOPIC, JSON.stringify(e));
    },
    subscribe: (fn) => ls.add(fn),
    ready: bridge.ready,
    bridge: bridge.stats,
    get undecodable() {
      return undecodable;
    },
    close: () => bridge.close(),
  };
}
