/**
 * Tells every node to forget cached key records: after a revoke, a key change or a plan change.
 * Without Redis there is one node and the message is delivered in process. With Redis it is also
 * published on one channel every node subscribes to, so a revoked key stops working on every node
 * as soon as the message arrives (milliseconds), not when a cache entry expires. Publishing is
 * best effort: if Redis is down, other nodes fall back on the cache TTL (a few seconds).
 */
import type Redis from "ioredis";
import type { Logger } from "../lib/log";

/** What to forget: one key, every key of a user, or everything. */
export type Invalidation = { keyId: string } | { userId: string } | { all: true };

/** Delivers invalidations to this node's handlers and, with Redis, to every other node's. */
export interface InvalidationBus {
  publish(msg: Invalidation): Promise<void>;
  subscribe(handler: (msg: Invalidation) => void): void;
  /** Resolves once the bus receives other nodes' messages. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

function isInvalidation(x: unknown): x is Invalidation {
  if (!x || typeof x !== "object") return false;
  const o = x as Record<string, unknown>;
  return typeof o.keyId === "string" || typeof o.userId === "string" || o.all === true;
}

/** The single-node bus: handlers run synchronously inside `publish`. */
export function createMemoryInvalidationBus(): InvalidationBus {
  const handlers: Array<(msg: Invalidation) => void> = [];
  return {
    async publish(msg) {
      for (const h of handlers) h(msg);
    },
    subscribe(handler) {
      handlers.push(handler);
    },
    ready: Promise.resolve(),
    async close() {
      handlers.length = 0;
    },
  };
}

/**
 * The cross-node bus. `sub` is a subscriber connection that may be shared with other channels
 * (the broadcast bridge): messages of other channels are ignored.
 */
export function createRedisInvalidationBus(opts: { pub: Redis; sub: Redis; channel: string; log: Logger }): InvalidationBus {
  const local = createMemoryInvalidationBus();
  const log = opts.log.child({ component: "key-invalidation" });
  const onMessage = (channel: string, message: string) => {
    if (channel !== opts.channel) return;
    try {
      const msg: unknown = JSON.parse(message);
      if (isInvalidation(msg)) void local.publish(msg);
    } catch {
      log.warn("invalidation.malformed");
    }
  };
  opts.sub.on("message", onMessage);
  const ready = opts.sub.subscribe(opts.channel).then(() => undefined);
  ready.catch((err: unknown) => log.error("invalidation.subscribe_failed", { err }));

  return {
    async publish(msg) {
      // Local first: this node must never wait on Redis to stop honouring a revoked key.
      await local.publish(msg);
      await opts.pub.publish(opts.channel, JSON.stringify(msg)).catch((err: unknown) => log.warn("invalidation.publish_failed", { err }));
    },
    subscribe: (handler) => local.subscribe(handler),
    ready,
    async close() {
      opts.sub.off("message", onMessage);
      await opts.sub.unsubscribe(opts.channel).catch(() => {});
      await local.close();
    },
  };
}
