/**
 * WebSocket subscribers for bench/ws-fanout.ts, run as their own process so they do not share the
 * server's event loop:
 *
 *   bun bench/lib/ws-subscribers.ts <ws-url> <connections> <api-key|-> [sampled=8]
 *
 * Lean on purpose: on a small machine the subscribers would otherwise cost more CPU than the server
 * under test. Each connection is a plain TCP socket speaking just enough WebSocket: after the
 * handshake it walks frame headers in each chunk and counts text frames, decoding nothing — except
 * on `sampled` connections (spread over the subscription order, so the first and the last socket of
 * a fan-out are both in it), which read each delta's nonce and note its arrival time.
 *
 * Prints {"ready":true} once every connection has had a data frame; then, per stdin line
 * `measure <seconds>`, prints {messages, seconds, samples} with [nonce, received-at] pairs (ms, wall
 * clock at sub-ms resolution); `exit` closes everything.
 */
import net from "node:net";

const [url, countArg, key, sampledArg = "8"] = process.argv.slice(2);
if (!url || !countArg || !key) {
  console.error("usage: ws-subscribers <ws-url> <connections> <api-key|-> [sampled]");
  process.exit(2);
}
const target = new URL(url);
const count = Number(countArg);
const every = Math.max(1, Math.floor(count / Math.min(count, Number(sampledArg))));
const now = () => performance.timeOrigin + performance.now();
const NONCE = /"nonce":(\d+)/;

let messages = 0;
let recording = false;
let samples: number[] = [];
let ready = 0;

/** A masked client text frame (payload < 65536). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from(crypto.getRandomValues(new Uint8Array(4)));
  const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 255]);
  return Buffer.concat([head, mask, payload.map((b, i) => b ^ mask[i % 4]!)]);
}

function open(i: number): Promise<net.Socket> {
  const sample = i % every === 0;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port), target.hostname);
    let buf: Buffer = Buffer.alloc(0);
    let upgraded = false;
    let seen = false;
    socket.on("data", (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        upgraded = true;
        buf = buf.subarray(end + 4);
        if (key !== "-") socket.write(textFrame(JSON.stringify({ type: "auth", api_key: key })));
        socket.write(textFrame(JSON.stringify({ type: "subscribe", channel: "order_book/0" })));
        resolve(socket);
      }
      let off = 0;
      for (;;) {
        if (buf.length - off < 2) break;
        const opcode = buf[off]! & 0x0f;
        let len = buf[off + 1]! & 0x7f;
        let head = 2;
        if (len === 126) {
          if (buf.length - off < 4) break;
          len = buf.readUInt16BE(off + 2);
          head = 4;
        } else if (len === 127) {
          if (buf.length - off < 10) break;
          len = Number(buf.readBigUInt64BE(off + 2));
          head = 10;
        }
        if (buf.length - off < head + len) break;
        if (opcode === 1) {
          if (recording) messages++;
          if (!seen || (sample && recording)) {
            const text = buf.toString("utf8", off + head, off + head + len);
            const delta = text.includes("order_book") && !text.includes('"snapshot":true') && !text.includes("subscribed");
            if (!seen && delta) (seen = true), ready++;
            if (recording && sample && delta) {
              const m = NONCE.exec(text);
              if (m) samples.push(Number(m[1]), now());
            }
          }
        } else if (opcode === 9) socket.write(Buffer.from([0x8a, 0x80, 0, 0, 0, 0]));
        off += head + len;
      }
      buf = off === buf.length ? Buffer.alloc(0) : buf.subarray(off);
    });
    socket.on("error", reject);
    const wsKey = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
    socket.write(`GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${wsKey}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  });
}

const sockets: net.Socket[] = [];
// Small batches: a thousand simultaneous handshakes would only queue in the kernel.
for (let i = 0; i < count; i += 50) sockets.push(...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, j) => open(i + j)))));
while (ready < count) await Bun.sleep(10);
console.log(JSON.stringify({ ready: true }));

for await (const line of console) {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === "exit") break;
  if (cmd !== "measure") continue;
  messages = 0;
  samples = [];
  recording = true;
  const started = now();
  await Bun.sleep(Number(arg) * 1000);
  recording = false;
  console.log(JSON.stringify({ messages, seconds: (now() - started) / 1000, samples }));
}
for (const s of sockets) s.destroy();
process.exit(0);
