/**
 * Tracking requests from nodes without a tracker to the ingest leader: "track these account
 * indices" and "look up this L1 address", asked when a client queries an account nobody tracks
 * yet. Over Redis they are published on one channel the leader subscribes to; best effort, like
 * the client's retry they answer ("retry in a few seconds"): a request lost while no leader
 * listens is asked again by the client's next query.
 */
import type Redis from "ioredis";
import type { Logger } from "../lib/log";

export type AccountRequest = { ids: number[] } | { address: string };

export interface AccountRequests {
  publish(msg: AccountRequest): void;
  /** Delivers requests to `handler` until the returned function is called. */
  subscribe(handler: (msg: AccountRequest) => void): () => void;
}

const MAX_IDS = 10_000;

function parse(message: string): AccountRequest | null {
  try {
    const m = JSON.parse(message) as Record<string, unknown>;
    if (Array.isArray(m.ids) && m.ids.length <= MAX_IDS && m.ids.every((id) => Number.isSafeInteger(id) && (id as number) >= 0)) return { ids: m.ids as number[] };
    if (typeof m.address === "string" && /^0x[0-9a-fA-F]{40}$/.test(m.address)) return { address: m.address };
  } catch {
    // fall through: malformed
  }
  return null;
}

/** The request channel over Redis pub/sub (`sub` may be shared with other channels). */
export function createRedisAccountRequests(o: { pub: Redis; sub: Redis; venue: string; log: Logger }): AccountRequests {
  const channel = `hl:accounts:requests:${o.venue}`;
  const handlers = new Set<(msg: AccountRequest) => void>();
  let subscribed: Promise<unknown> | undefined;
  const onMessage = (ch: string, message: string) => {
    if (ch !== channel) return;
    const msg = parse(message);
    if (!msg) return o.log.warn("accounts: malformed tracking request ignored");
    for (const h of handlers) h(msg);
  };
  return {
    publish(msg) {
      o.pub.publish(channel, JSON.stringify(msg)).catch((err: unknown) => o.log.warn("accounts: publishing a tracking request failed", { err }));
    },
    subscribe(handler) {
      if (handlers.size === 0) {
        o.sub.on("message", onMessage);
        subscribed = o.sub.subscribe(channel).catch((err: unknown) => o.log.error("accounts: subscribing to tracking requests failed", { err }));
      }
      handlers.add(handler);
      return () => {
        handlers.delete(handler);
        if (handlers.size > 0) return;
        o.sub.off("message", onMessage);
        void (subscribed ?? Promise.resolve()).then(() => o.sub.unsubscribe(channel)).catch(() => {});
      };
    },
  };
}
