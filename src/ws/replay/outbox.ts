/**
 * The replay socket adapter: one ordered, flow-controlled path for every frame of a connection.
 *
 * - While the socket's buffered amount is above `highWaterBytes`, frames wait in the outbox (at
 *   most one actor batch plus a few control frames: the session is told `onBlocked` and stops
 *   delivering) and go out on drain, in order; then `onDrained`. Nothing is dropped or buffered
 *   without bound.
 * - Event heads (see actors/replay/render.ts) are completed with `replay_ts` when handed to the
 *   socket. A batch is written inside one `cork`, so it leaves in few large writes instead of one
 *   syscall per frame (Bun corks only its own callbacks; replay batches come from timers).
 */
import type { Clock } from "../../lib/clock";

/** The part of Bun's ServerWebSocket the outbox uses (a narrow port, so tests can drive it). */
export interface ReplaySocket {
  sendText(data: string): number;
  getBufferedAmount(): number;
  cork(callback: () => unknown): unknown;
}

/** Send-side counters of a gateway (all connections). */
export interface SendStats {
  eventsSent: number;
  bytesSent: number;
  /** Times a connection went from flowing to blocked by backpressure. */
  backpressurePauses: number;
  /** Frames Bun reported as dropped. */
  dropped: number;
}

/** A connection's outbound path. */
export interface Outbox {
  /** A complete control frame. */
  send(text: string): void;
  /** Event heads, in order; each is completed with the send time. */
  sendEvents(heads: readonly string[]): void;
  /** Sends what waits while the socket takes it (Bun's drain callback, and a poll while blocked). */
  flush(): void;
  /** Forgets queued frames and stops (the connection is closing). */
  discard(): void;
  readonly blocked: boolean;
}

export interface OutboxOptions {
  clock: Clock;
  highWaterBytes: number;
  stats: SendStats;
  onBlocked(): void;
  onDrained(): void;
  /** Safety-net poll while blocked; Bun's drain callback is the real signal. */
  pollMs?: number;
}

// A head ends with `:` (`"replay_ts":`), a complete frame with `}`: one character tells them apart.
const COLON = 58;
const isHead = (text: string) => text.charCodeAt(text.length - 1) === COLON;

/** Creates the outbox of one socket. */
export function createOutbox(socket: ReplaySocket, o: OutboxOptions): Outbox {
  const { clock, stats } = o;
  const queue: string[] = [];
  let qi = 0;
  let blocked = false;
  let poll: unknown = null;
  let closed = false;
  const over = () => socket.getBufferedAmount() > o.highWaterBytes;

  const put = (text: string, bytes: number) => {
    if (socket.sendText(text) === 0) stats.dropped++;
    stats.bytesSent += bytes;
  };
  // Heads are ASCII (numbers and fixed names), so their length is their byte count. `tail` is the
  // send time and the closing brace, made once per batch rather than once per frame.
  const putHead = (head: string, tail: string) => {
    const text = head + tail;
    put(text, text.length);
    stats.eventsSent++;
  };
  const putControl = (text: string) => put(text, Buffer.byteLength(text));
  const block = () => {
    if (blocked) return;
    blocked = true;
    stats.backpressurePauses++;
    o.onBlocked();
    const tick = () => {
      poll = null;
      flush();
      if (blocked && !closed) poll = clock.setTimeout(tick, o.pollMs ?? 25);
    };
    poll = clock.setTimeout(tick, o.pollMs ?? 25);
  };
  const drainQueue = () => {
    const tail = `${clock.now()}}`;
    while (qi < queue.length && !over()) {
      const text = queue[qi++] as string;
      if (isHead(text)) putHead(text, tail);
      else putControl(text);
    }
    if (qi === queue.length) (queue.length = 0), (qi = 0);
  };
  const flush = () => {
    if (closed) return;
    if (qi < queue.length) socket.cork(drainQueue);
    if (blocked && queue.length === 0 && !over()) {
      blocked = false;
      if (poll !== null) clock.clearTimeout(poll);
      poll = null;
      o.onDrained();
    }
  };

  return {
    get blocked() {
      return blocked;
    },
    send(text) {
      if (closed) return;
      if (queue.length > 0 || over()) {
        queue.push(text);
        return block();
      }
      putControl(text);
      if (over()) block();
    },
    sendEvents(heads) {
      if (closed || heads.length === 0) return;
      if (queue.length > 0 || blocked) {
        for (const h of heads) queue.push(h);
        return block();
      }
      socket.cork(() => {
        const tail = `${clock.now()}}`;
        let i = 0;
        while (i < heads.length && !over()) putHead(heads[i++] as string, tail);
        for (; i < heads.length; i++) queue.push(heads[i] as string);
      });
      if (queue.length > 0 || over()) block();
    },
    flush,
    discard() {
      closed = true;
      queue.length = 0;
      qi = 0;
      if (poll !== null) clock.clearTimeout(poll);
      poll = null;
    },
  };
}
