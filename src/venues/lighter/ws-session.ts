/**
 * The WebSocket session of the live client: connect, wait for `{"type":"connected"}`, subscribe,
 * keep alive, detect silence, reconnect with backoff. It knows nothing about frames beyond
 * sending them; the owner parses everything it receives.
 *
 * Keep-alive (reference §C.1): the venue drops a connection after ~2 min without client traffic,
 * so a JSON `{"type":"ping"}` goes out every `pingIntervalMs` (30 s, like lighter-python and NT).
 * Any received frame counts as life; none for `silenceTimeoutMs` means the connection is dead.
 *
 * Outgoing rate (reference §F.2): the venue allows 200 client messages a minute and 50 in flight,
 * so subscribes go through a token bucket (burst 50, 180/min by default); pings and pongs skip the
 * queue but still spend a token.
 */
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/log.ts";
import { Backoff } from "./backoff.ts";
import type { WsClientFrame } from "./protocol.ts";

/** Callbacks a socket reports to. */
export interface SocketHandlers {
  open(): void;
  message(text: string): void;
  close(code: number, reason: string): void;
}
/** The narrow socket port the session needs. */
export interface SocketLike {
  send(text: string): void;
  close(code?: number, reason?: string): void;
}
export type SocketFactory = (url: string, handlers: SocketHandlers) => SocketLike;

const decoder = new TextDecoder();
/** The default factory: Bun's (WHATWG) WebSocket client. */
export const bunSocketFactory: SocketFactory = (url, h) => {
  const ws = new WebSocket(url);
  ws.onopen = () => h.open();
  ws.onmessage = (ev) => h.message(typeof ev.data === "string" ? ev.data : decoder.decode(ev.data as ArrayBuffer));
  ws.onclose = (ev) => h.close(ev.code, ev.reason);
  ws.onerror = () => {}; // a close event always follows
  return { send: (text) => ws.send(text), close: (code, reason) => ws.close(code, reason) };
};

export interface SessionOptions {
  wsUrl: string;
  clock: Clock;
  log: Logger;
  socketFactory?: SocketFactory;
  pingIntervalMs?: number;
  /** No frame for this long: the connection is dead (default 2 × ping + 15 s). */
  silenceTimeoutMs?: number;
  /** Open + `connected` frame deadline (default 10 000 ms). */
  connectTimeoutMs?: number;
  /** Connected this long: the backoff resets (default 30 000 ms). */
  stableAfterMs?: number;
  backoff?: Backoff;
  sendBurst?: number;
  sendPerMinute?: number;
  /** Request-form channels to subscribe once connected. */
  subscriptions(): string[];
  /** Every received text frame. */
  onText(text: string): void;
  onConnecting(attempt: number): void;
  onConnected(reconnect: boolean): void;
  onDisconnected(reason: string, reconnectInMs: number | undefined, attempt: number): void;
  onPingSent?(): void;
}

type Phase = "idle" | "connecting" | "connected" | "waiting" | "stopped";

export class WsSession {
  private phase: Phase = "idle";
  private socket: SocketLike | undefined;
  private socketId = 0;
  private everConnected = false;
  private lastRx = 0;
  private timers = new Set<unknown>();
  private tokens: number;
  private tokensAt = 0;
  private queue: string[] = [];
  private drainTimer: unknown;
  readonly backoff: Backoff;

  constructor(private readonly o: SessionOptions) {
    this.backoff = o.backoff ?? new Backoff();
    this.tokens = o.sendBurst ?? 50;
  }

  get state(): Phase {
    return this.phase;
  }

  start(): void {
    if (this.phase === "idle") this.connect();
  }

  /** Closes for good. */
  stop(): void {
    this.phase = "stopped";
    this.clearTimers();
    this.socket?.close(1000, "client stop");
    this.socket = undefined;
  }

  /** Sends a frame now if connected (through the rate limiter), else drops it: state is re-sent on connect. */
  send(frame: WsClientFrame): void {
    if (this.phase !== "connected") return;
    const text = JSON.stringify(frame);
    if (frame.type === "ping" || frame.type === "pong") {
      this.refill();
      this.tokens--;
      this.socket?.send(text);
      return;
    }
    this.queue.push(text);
    this.drain();
  }

  /** Drops the connection and reconnects with backoff. */
  reconnect(reason: string): void {
    if (this.phase === "connecting" || this.phase === "connected") this.closed(this.socketId, 4000, reason);
  }

  private connect(): void {
    const id = ++this.socketId;
    this.phase = "connecting";
    this.o.onConnecting(this.backoff.attempt);
    this.lastRx = this.o.clock.now();
    this.timer(() => this.closed(id, 4001, "connect timeout"), this.o.connectTimeoutMs ?? 10_000);
    const guard = (fn: () => void) => () => {
      if (id === this.socketId) fn();
    };
    try {
      this.socket = (this.o.socketFactory ?? bunSocketFactory)(this.o.wsUrl, {
        open: guard(() => {}),
        message: (text) => {
          if (id !== this.socketId) return;
          this.lastRx = this.o.clock.now();
          this.o.onText(text);
        },
        close: (code, reason) => this.closed(id, code, reason || "closed by peer"),
      });
    } catch (err) {
      this.o.clock.setTimeout(() => this.closed(id, 4002, `connect failed: ${String(err)}`), 0);
    }
  }

  /** The owner saw `{"type":"connected"}` on the current socket. */
  connectedFrame(): void {
    if (this.phase !== "connecting") return;
    this.clearTimers();
    this.phase = "connected";
    const id = this.socketId;
    const reconnect = this.everConnected;
    this.everConnected = true;
    for (const channel of this.o.subscriptions()) this.send({ type: "subscribe", channel });
    this.o.onConnected(reconnect);
    this.timer(() => id === this.socketId && this.backoff.reset(), this.o.stableAfterMs ?? 30_000);
    this.schedulePing(id);
    this.scheduleSilenceCheck(id, this.silenceMs());
  }

  private silenceMs(): number {
    return this.o.silenceTimeoutMs ?? 2 * (this.o.pingIntervalMs ?? 30_000) + 15_000;
  }

  private schedulePing(id: number): void {
    this.timer(() => {
      if (id !== this.socketId || this.phase !== "connected") return;
      this.send({ type: "ping" });
      this.o.onPingSent?.();
      this.schedulePing(id);
    }, this.o.pingIntervalMs ?? 30_000);
  }

  /** Re-arms on expiry instead of on every frame, so the hot path only stores a timestamp. */
  private scheduleSilenceCheck(id: number, inMs: number): void {
    this.timer(() => {
      if (id !== this.socketId || this.phase !== "connected") return;
      const quiet = this.o.clock.now() - this.lastRx;
      const limit = this.silenceMs();
      if (quiet >= limit) this.closed(id, 4003, `silent for ${quiet} ms`);
      else this.scheduleSilenceCheck(id, limit - quiet);
    }, inMs);
  }

  private closed(id: number, code: number, reason: string): void {
    if (id !== this.socketId || this.phase === "stopped" || this.phase === "waiting") return;
    this.socketId++; // late events of the old socket are ignored from here on
    this.clearTimers();
    this.socket?.close(code >= 4000 ? 4000 : 1000, reason.slice(0, 100));
    this.socket = undefined;
    const delay = this.backoff.next();
    this.phase = "waiting";
    this.o.onDisconnected(`${code} ${reason}`, delay, this.backoff.attempt);
    this.timer(() => {
      if (this.phase === "waiting") this.connect();
    }, delay);
  }

  private refill(): void {
    const now = this.o.clock.now();
    const perMs = (this.o.sendPerMinute ?? 180) / 60_000;
    this.tokens = Math.min(this.o.sendBurst ?? 50, this.tokens + (now - this.tokensAt) * perMs);
    this.tokensAt = now;
  }

  private drain(): void {
    this.refill();
    while (this.queue.length > 0 && this.tokens >= 1) {
      this.tokens--;
      this.socket?.send(this.queue.shift()!);
    }
    if (this.queue.length > 0 && this.drainTimer === undefined) {
      const perMs = (this.o.sendPerMinute ?? 180) / 60_000;
      const wait = Math.ceil((1 - this.tokens) / perMs);
      this.drainTimer = this.timer(() => {
        this.drainTimer = undefined;
        if (this.phase === "connected") this.drain();
      }, wait);
    }
  }

  private timer(fn: () => void, ms: number): unknown {
    const handle: unknown = this.o.clock.setTimeout(() => {
      this.timers.delete(handle);
      fn();
    }, ms);
    this.timers.add(handle);
    return handle;
  }

  private clearTimers(): void {
    for (const t of this.timers) this.o.clock.clearTimeout(t);
    this.timers.clear();
    this.drainTimer = undefined;
    this.queue.length = 0;
  }
}
