/**
 * A minimal WebSocket client over a plain TCP socket, for behaviour a browser-grade client hides:
 * it can leave protocol pings unanswered (Bun's own client always answers them) and stop reading
 * (`pause()`), so the server's send buffer fills the way it does for a stuck consumer. Text frames
 * only, no extensions; enough for the /ws protocol.
 */
import net from "node:net";

export interface RawWsOptions {
  /** Answer protocol pings with pongs (default true). */
  autoPong?: boolean;
}

export interface RawWs {
  /** Text messages received, in order. */
  readonly messages: string[];
  /** The close frame's code and reason once one arrived (or 1006 when the socket just ended). */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Protocol pings received. */
  readonly pings: number;
  send(text: string): void;
  /** Stops reading from the socket (the kernel buffers fill, then the server's). */
  pause(): void;
  resume(): void;
  destroy(): void;
  /** Resolves with the first message (already received or future) matching `pred`. */
  next(pred: (m: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

const frame = (opcode: number, payload: Buffer): Buffer => {
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 255]) : null;
  if (!head) {
    const h = Buffer.alloc(10);
    h[0] = 0x80 | opcode;
    h[1] = 0x80 | 127;
    h.writeBigUInt64BE(BigInt(len), 2);
    return Buffer.concat([h, Buffer.from(mask), masked(payload, mask)]);
  }
  return Buffer.concat([head, Buffer.from(mask), masked(payload, mask)]);
};
const masked = (p: Buffer, mask: Uint8Array) => Buffer.from(p.map((b, i) => b ^ mask[i % 4]!));

/** Opens `url` (ws://host:port/path) and resolves once the upgrade is accepted. */
export async function connectRaw(url: string, opts: RawWsOptions = {}): Promise<RawWs> {
  const u = new URL(url);
  const socket = net.connect(Number(u.port), u.hostname);
  const messages: string[] = [];
  const waiters: Array<{ pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }> = [];
  let pings = 0;
  let buf = Buffer.alloc(0);
  let upgraded = false;
  let closeInfo: { code: number; reason: string } | null = null;
  let resolveClosed!: (v: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r));
  let resolveOpen!: () => void;
  let rejectOpen!: (e: Error) => void;
  const opened = new Promise<void>((res, rej) => ((resolveOpen = res), (rejectOpen = rej)));

  const deliver = (text: string) => {
    messages.push(text);
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    for (const w of [...waiters]) if (w.pred(m)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(m));
  };

  const parse = () => {
    for (;;) {
      if (buf.length < 2) return;
      const opcode = buf[0]! & 0x0f;
      let len = buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      if (buf.length < off + len) return;
      const payload = buf.subarray(off, off + len);
      buf = buf.subarray(off + len);
      if (opcode === 1) deliver(payload.toString("utf8"));
      else if (opcode === 9) {
        pings++;
        if (opts.autoPong !== false) socket.write(frame(10, Buffer.from(payload)));
      } else if (opcode === 8) {
        closeInfo = { code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString("utf8") };
        resolveClosed(closeInfo);
      }
    }
  };

  socket.on("data", (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    if (!upgraded) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buf.subarray(0, end).toString("latin1");
      buf = buf.subarray(end + 4);
      if (!head.startsWith("HTTP/1.1 101")) return rejectOpen(new Error(`upgrade refused: ${head.split("\r\n")[0]}`));
      upgraded = true;
      resolveOpen();
    }
    parse();
  });
  socket.on("close", () => resolveClosed(closeInfo ?? { code: 1006, reason: "" }));
  socket.on("error", (err) => (upgraded ? resolveClosed(closeInfo ?? { code: 1006, reason: String(err) }) : rejectOpen(err)));
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  socket.write(`GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await opened;

  return {
    messages,
    closed,
    get pings() {
      return pings;
    },
    send: (text) => void socket.write(frame(1, Buffer.from(text))),
    pause: () => void socket.pause(),
    resume: () => void socket.resume(),
    destroy: () => socket.destroy(),
    next(pred, timeoutMs = 5_000) {
      for (const text of messages) {
        try {
          const m = JSON.parse(text) as Record<string, unknown>;
          if (pred(m)) return Promise.resolve(m);
        } catch {
          // not JSON
        }
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; got ${messages.length}`)), timeoutMs);
        waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
  };
}
