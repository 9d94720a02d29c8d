/**
 * Composes the WebSocket layer of one node from the config: the stream bus (in process, or Redis
 * across nodes), the fan-out that renders frames for this node's topics, the /ws gateway with its
 * connection actors, the ingest-side tap (used only while this node ingests) and their /metrics.
 */
import type Redis from "ioredis";
import type { Config } from "../config";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { Metrics } from "../http/metrics";
import type { LiveMarketView } from "../market/live";
import { createBunBroadcaster, type BunBroadcaster, type BunPublishTarget } from "./broadcaster/bun";
import type { Broadcaster } from "./broadcaster/port";
import { createAdmission, type WsAuthenticator } from "./auth";
import { createMemoryConnectionQuota } from "./connection-quota";
import { createRedisConnectionQuota } from "./connection-quota.redis";
import { createGateway, type WsGateway } from "./gateway";
import { createMarketDirectory } from "./market-directory";
import { createLocalBus, createRedisBus, type StreamBus } from "./stream/bus";
import type { TurnEnd } from "../lib/turn-end";
import { createLocalDemandBoard, createRedisDemandBoard } from "./stream/demand";
import { createFanout } from "./stream/fanout";
import { createStreamTap, type StreamTap } from "./stream/tap";

/** What the composition root hands the WebSocket layer. */
/** The WebSocket layer of one node. */
export interface WsLayerOptions {
  config: Config;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  live: LiveMarketView;
  venue: string;
  authenticator: WsAuthenticator;
  redis?: { client: Redis; subscriber: Redis };
  nodeId: string;
  /** The process's end-of-turn queue: cross-node sends go out in its `first` priority. */
  turnEnd?: TurnEnd;
  /** The client's address from the upgrade request (proxy-aware), for key IP allowlists. */
  clientIp?: (request: Request, socketIp: string | undefined) => string | null;
}

/** Bun server settings the WebSocket layer needs (they apply to every WebSocket route of the server). */
export interface WsServerOptions {
  maxPayloadLength: number;
  backpressureLimit: number;
  closeOnBackpressureLimit: boolean;
}

export interface WsLayer {
  /** The /ws route, to mount on the app. */
  readonly gateway: WsGateway;
  /** For the root app's `websocket` config. */
  readonly serverOptions: WsServerOptions;
  /** Hand to the ingest pipeline while this node ingests. */
  readonly tap: StreamTap;
  readonly bus: StreamBus;
  /** Binds fan-out to the listening Bun server (the only `server.publish` caller is its broadcaster). */
  attach(server: BunPublishTarget): void;
  close(): Promise<void>;
}

/**
 * The bus channel of a deployment. Redis pub/sub ignores database numbers, while every key of a
 * deployment (leader lock, cache, slots) lives in the URL's database; naming the channel after that
 * database keeps two deployments (or test runs) on one Redis from hearing each other's markets.
 */
export function busChannelPrefix(redisUrl: string | undefined): string {
  const db = redisUrl ? Number(new URL(redisUrl).pathname.slice(1) || "0") : 0;
  return `hl:ws:db${Number.isInteger(db) ? db : 0}`;
}

/** Builds the layer (bus, fan-out, gateway, tap, metrics) from the config. */
export function createWsLayer(opts: WsLayerOptions): WsLayer {
  const { config, clock, metrics } = opts;
  const log = opts.log.child({ component: "ws" });
  let bun: BunBroadcaster | null = null;
  let unbound = 0;
  // Until the server listens there is no socket to deliver to.
  const broadcaster: Broadcaster = {
    kind: "bun",
    publish: (topic, frame) => (bun ? bun.publish(topic, frame) : void unbound++),
    close: async () => void (await bun?.close()),
  };

  const bus = opts.redis
    ? createRedisBus({ pub: opts.redis.client, sub: opts.redis.subscriber, nodeId: opts.nodeId, channelPrefix: busChannelPrefix(config.redisUrl), log, schedule: opts.turnEnd?.first })
    : createLocalBus(log);
  const fanout = createFanout({
    broadcaster,
    clock,
    thresholds: { whaleUsd: config.whaleNotionalUsd, whaleUsdByMarket: config.whaleNotionalUsdMarkets, liquidationAlertUsd: config.liquidationAlertUsd },
    enrichedIntervalMs: config.wsEnrichedIntervalMs,
    enrichedDepth: config.wsEnrichedDepth,
  });
  const markets = createMarketDirectory({ live: opts.live, venue: opts.venue, clock, log });
  const unsubscribe = bus.subscribe((e) => {
    markets.learn(e.m, e.pd);
    fanout.apply(e);
  });

  const quota = opts.redis ? createRedisConnectionQuota({ redis: opts.redis.client, prefix: "hl:ws:conns:", clock }) : createMemoryConnectionQuota();
  const gateway = createGateway({
    clock,
    log,
    timing: { authTimeoutMs: config.wsAuthTimeoutMs, pingIntervalMs: config.wsPingIntervalMs, pongTimeoutMs: config.wsPongTimeoutMs },
    sendBufferBytes: config.wsSendBufferBytes,
    slowConsumerCheckMs: config.wsSlowConsumerCheckMs,
    fanout,
    markets,
    admit: createAdmission({ authenticator: opts.authenticator, quota, log }),
    quota,
    keys: opts.authenticator,
    clientIp: opts.clientIp,
    onClose: (reason) => metrics.inc("hl_ws_closed_total", "WebSocket connections closed, by reason (client = closed by the client).", { reason }),
  });

  // Demand (level-3 reads, heatmaps): every node announces what its sockets need; the ingest node
  // reads the union.
  const board = opts.redis ? createRedisDemandBoard({ redis: opts.redis.client, key: "hl:ws:demand", ttlMs: config.wsL3IntervalMs * 5, clock }) : createLocalDemandBoard();
  let announceTimer: unknown = null;
  const announce = () => {
    board.announce(fanout.demand()).catch((err) => log.warn("ws demand announce failed", { err }));
    announceTimer = clock.setTimeout(announce, config.wsL3IntervalMs);
  };
  announce();
  const tap = createStreamTap({
    bus,
    clock,
    log,
    checkpointMs: config.wsCheckpointMs,
    l3IntervalMs: config.wsL3IntervalMs,
    heatmapIntervalMs: config.wsHeatmapIntervalMs,
    demand: async () => {
      await board.announce(fanout.demand());
      return board.current();
    },
  });

  const g = gateway.stats;
  const f = fanout.stats;
  const gauges: Array<[string, string, () => number]> = [
    ["hl_ws_connections", "Open /ws connections on this node.", () => gateway.connections],
    ["hl_ws_subscriptions", "Subscriptions held by this node's /ws connections.", () => gateway.subscriptions],
    ["hl_ws_connections_opened", "/ws connections opened since start.", () => g.opened],
    ["hl_ws_inbound_messages", "Messages received from /ws clients.", () => g.inbound],
    ["hl_ws_invalid_messages", "Inbound /ws messages that were not valid client frames.", () => g.invalid],
    ["hl_ws_send_backpressured", "Direct sends (acks, snapshots) queued behind backpressure.", () => g.sendBackpressured],
    ["hl_ws_send_dropped", "Direct sends Bun dropped (the socket's buffer was full).", () => g.sendDropped],
    ["hl_ws_slow_consumers", "Sockets closed because their send buffer exceeded WS_SEND_BUFFER_BYTES.", () => g.slowConsumers],
    ["hl_ws_publish_frames", "Frames published to topics (server.publish calls).", () => bun?.stats.published ?? 0],
    ["hl_ws_publish_dropped", "server.publish calls Bun reported as dropped.", () => bun?.stats.dropped ?? 0],
    ["hl_ws_publish_backpressured", "server.publish calls that hit backpressure.", () => bun?.stats.backpressured ?? 0],
    ["hl_ws_publish_no_subscribers", "Frames published to a topic nobody on this node held.", () => (bun?.stats.noSubscribers ?? 0) + unbound],
    ["hl_ws_stream_events", "Stream events applied by this node's fan-out.", () => f.events],
    ["hl_ws_book_snapshots_rendered", "order_book snapshot frames rendered (once per book state).", () => f.snapshots],
    ["hl_ws_book_gaps", "Stream gaps that left a mirrored book stale until the next snapshot.", () => f.gaps],
    ["hl_ws_bus_sent", "Stream events sent to other nodes (Redis).", () => bus.bridge?.sent ?? 0],
    ["hl_ws_bus_messages", "Redis messages the sent stream events went out in (one per loop turn).", () => bus.bridge?.messages ?? 0],
    ["hl_ws_bus_received", "Stream events received from other nodes (Redis).", () => bus.bridge?.received ?? 0],
    ["hl_ws_bus_send_failures", "Redis messages of stream events that Redis refused or that failed on the connection.", () => bus.bridge?.sendFailures ?? 0],
  ];
  for (const [name, help, read] of gauges) metrics.gauge(name, help, read);

  return {
    gateway,
    tap,
    bus,
    serverOptions: {
      maxPayloadLength: config.wsMaxMessageBytes,
      // Headroom above the slow-consumer threshold: the sweep closes a socket before Bun would
      // drop frames for it, so a client that keeps up never sees a hole in its stream.
      backpressureLimit: config.wsSendBufferBytes * 2,
      closeOnBackpressureLimit: false,
    },
    attach(server) {
      bun = createBunBroadcaster(server);
    },
    async close() {
      gateway.close();
      if (announceTimer !== null) clock.clearTimeout(announceTimer);
      markets.stop();
      fanout.stop();
      unsubscribe();
      tap.stop();
      await bus.close();
      await broadcaster.close();
    },
  };
}
