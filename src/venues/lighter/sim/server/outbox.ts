/**
 * Everything the simulator sends goes through here: topic publishes (Bun's native pub/sub) and
 * direct sends (snapshots, acks, errors). During a stall fault nothing leaves; the backlog is kept
 * in order and flushed when the stall ends. Subscriber counts per topic are kept here so the hot
 * path can skip building frames nobody listens to.
 */
import type { Server, ServerWebSocket } from "bun";
import type { FaultInjector } from "./faults.ts";

/** Per-connection state. */
export interface SocketData {
  sessionId: string;
  /** Server-form channel names this socket is subscribed to. */
  topics: Set<string>;
}

type Queued = { topic: string; frame: string } | { ws: ServerWebSocket<SocketData>; frame: string };

/** Counters of the outbound path. */
export interface OutboxStats {
  published: number;
  sent: number;
  queued: number;
}

/** The single exit of the simulator's WS traffic. */
export class Outbox {
  readonly stats: OutboxStats = { published: 0, sent: 0, queued: 0 };
  readonly sockets = new Set<ServerWebSocket<SocketData>>();
  private readonly counts = new Map<string, number>();
  /** Number of `account_all:*` topics with subscribers (lets the publisher skip account work). */
  accountTopics = 0;
  private queue: Queued[] = [];
  private server: Server<SocketData> | undefined;
  private faults: FaultInjector | undefined;

  bind(server: Server<SocketData>, faults: FaultInjector): void {
    this.server = server;
    this.faults = faults;
  }

  /** True when at least one socket is subscribed to `topic`. */
  wants(topic: string): boolean {
    return (this.counts.get(topic) ?? 0) > 0;
  }

  subscribed(ws: ServerWebSocket<SocketData>, topic: string): void {
    ws.subscribe(topic);
    ws.data.topics.add(topic);
    const n = (this.counts.get(topic) ?? 0) + 1;
    this.counts.set(topic, n);
    if (n === 1 && topic.startsWith("account_all:")) this.accountTopics++;
  }

  unsubscribed(ws: ServerWebSocket<SocketData>, topic: string): void {
    ws.unsubscribe(topic);
    ws.data.topics.delete(topic);
    this.forget(topic);
  }

  /** A socket closed: its subscriptions no longer count. */
  closed(ws: ServerWebSocket<SocketData>): void {
    this.sockets.delete(ws);
    for (const t of ws.data.topics) this.forget(t);
    ws.data.topics.clear();
  }

  private forget(topic: string): void {
    const n = (this.counts.get(topic) ?? 1) - 1;
    if (n > 0) return void this.counts.set(topic, n);
    if (this.counts.delete(topic) && topic.startsWith("account_all:")) this.accountTopics--;
  }

  publish(topic: string, frame: string): void {
    if (this.faults?.stalled()) {
      this.queue.push({ topic, frame });
      this.stats.queued++;
      return;
    }
    this.server?.publish(topic, frame);
    this.stats.published++;
  }

  send(ws: ServerWebSocket<SocketData>, frame: string): void {
    if (this.faults?.stalled()) {
      this.queue.push({ ws, frame });
      this.stats.queued++;
      return;
    }
    ws.send(frame);
    this.stats.sent++;
  }

  /** Sends the backlog in order (called when a stall ends). */
  flush(): void {
    if (this.faults?.stalled()) return;
    const backlog = this.queue;
    this.queue = [];
    for (const q of backlog) {
      if ("topic" in q) this.publish(q.topic, q.frame);
      else if (q.ws.readyState === 1) this.send(q.ws, q.frame);
    }
  }
}
