/**
 * Simulator throughput: events per second (one order-book delta frame or one trade) that the
 * simulator emits to one WebSocket client subscribed to every market's `order_book` and `trade`
 * channels. The simulator runs in its own process (`scripts/sim.ts`), so the client's parsing does
 * not share its thread. A raw-Bun baseline (a server publishing a pre-built delta frame in a loop,
 * same client) is measured in the same run; the ratio is simulator ÷ baseline.
 *
 *   bun bench/sim.ts [--rates 200,80000] [--seconds 10] [--warmup 2] [--seed 3]
 */
import { parseArgs } from "node:util";
import { join } from "node:path";

const { values } = parseArgs({
  options: {
    rates: { type: "string", default: "80000" },
    seconds: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    seed: { type: "string", default: "3" },
    "serve-baseline": { type: "boolean", default: false },
  },
});

const MARKETS = [0, 1, 2, 3, 4, 7, 8, 16];
const BASELINE_FRAME = JSON.stringify({
  channel: "order_book:0", offset: 1558300, last_updated_at: 1774884082309144,
  order_book: { code: 0, asks: [{ price: "2064.54", size: "0.3285" }], bids: [{ price: "2064.30", size: "0.0000" }],
    offset: 1558300, nonce: 9182390020, last_updated_at: 1774884082309144, begin_nonce: 9182389998 },
  timestamp: 1774884082326, type: "update/order_book",
});

if (values["serve-baseline"]) {
  // Raw Bun: publish the same frame to everyone subscribed, as fast as the loop allows.
  const server = Bun.serve({
    port: 0, hostname: "127.0.0.1",
    fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response("ws only", { status: 426 })),
    websocket: { open: (ws) => void ws.subscribe("t"), message() {}, perMessageDeflate: false },
  });
  const pump = () => {
    for (let i = 0; i < 500; i++) server.publish("t", BASELINE_FRAME);
    setImmediate(pump);
  };
  pump();
  console.log(JSON.stringify({ wsUrl: `ws://127.0.0.1:${server.port}/stream` }));
  await new Promise(() => {});
}

interface Measured {
  deltas: number;
  trades: number;
  seconds: number;
  bytes: number;
  /** CPU seconds the server process used during the window (Linux /proc), or NaN. */
  cpu: number;
  gaps: number;
}

async function spawnServer(args: string[]): Promise<{ wsUrl: string; pid: number; stop(): Promise<void> }> {
  const proc = Bun.spawn([process.execPath, ...args], { cwd: join(import.meta.dir, ".."), stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const chunk = await reader.read();
    if (chunk.done) throw new Error("server exited before printing its URL");
    text += new TextDecoder().decode(chunk.value);
  }
  const { wsUrl } = JSON.parse(text.slice(0, text.indexOf("\n"))) as { wsUrl: string };
  return { wsUrl, pid: proc.pid, stop: async () => { proc.kill("SIGINT"); await proc.exited; } };
}

async function cpuSeconds(pid: number): Promise<number> {
  try {
    const fields = (await Bun.file(`/proc/${pid}/stat`).text()).split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Counts frames without a full parse: deltas by prefix, trades by `"trade_id":` occurrences. */
async function measure(wsUrl: string, pid: number, subscribe: boolean): Promise<Measured> {
  const ws = new WebSocket(wsUrl);
  const m: Measured = { deltas: 0, trades: 0, seconds: 0, bytes: 0, cpu: 0, gaps: 0 };
  const lastNonce = new Map<string, number>();
  ws.onmessage = (e) => {
    const s = String(e.data);
    m.bytes += s.length;
    if (s.startsWith('{"channel":"order_book:')) {
      m.deltas++;
      if (subscribe && s.includes('"type":"update/order_book"')) {
        const channel = s.slice(12, s.indexOf('"', 12));
        const begin = Number(/"begin_nonce":(\d+)/.exec(s)?.[1]);
        const prev = lastNonce.get(channel);
        if (prev !== undefined && prev !== begin) m.gaps++;
        lastNonce.set(channel, Number(/"nonce":(\d+)/.exec(s)?.[1]));
      }
    } else if (s.startsWith('{"channel":"trade:')) {
      for (let i = s.indexOf('"trade_id":'); i >= 0; i = s.indexOf('"trade_id":', i + 1)) m.trades++;
    }
  };
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  if (subscribe) {
    for (const id of MARKETS) {
      ws.send(JSON.stringify({ type: "subscribe", channel: `order_book/${id}` }));
      ws.send(JSON.stringify({ type: "subscribe", channel: `trade/${id}` }));
    }
  }
  await Bun.sleep(Number(values.warmup) * 1000);
  Object.assign(m, { deltas: 0, trades: 0, bytes: 0, gaps: 0 });
  const cpu0 = await cpuSeconds(pid);
  const t0 = performance.now();
  await Bun.sleep(Number(values.seconds) * 1000);
  m.seconds = (performance.now() - t0) / 1000;
  m.cpu = (await cpuSeconds(pid)) - cpu0;
  ws.close();
  return m;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const baselineServer = await spawnServer([join(import.meta.dir, "sim.ts"), "--serve-baseline"]);
const baseline = await measure(baselineServer.wsUrl, baselineServer.pid, false);
await baselineServer.stop();
const baselineFps = baseline.deltas / baseline.seconds;
console.log(`raw Bun baseline   : ${fmt(baselineFps)} frames/s (${(baseline.bytes / baseline.seconds / 1e6).toFixed(1)} MB/s, one pre-built ${BASELINE_FRAME.length}-byte frame)`);

for (const rate of values.rates.split(",").map(Number)) {
  const sim = await spawnServer(["scripts/sim.ts", "--json", "--rate", String(rate), "--seed", values.seed]);
  const r = await measure(sim.wsUrl, sim.pid, true);
  await sim.stop();
  const eps = (r.deltas + r.trades) / r.seconds;
  console.log(`simulator rate ${fmt(rate).padStart(7)} : ${fmt(eps)} events/s  (${fmt(r.deltas / r.seconds)} deltas/s + ${fmt(r.trades / r.seconds)} trades/s, ${(r.bytes / r.seconds / 1e6).toFixed(1)} MB/s, nonce gaps ${r.gaps})`);
  if (Number.isFinite(r.cpu) && r.cpu > 0) {
    console.log(`                         simulator CPU ${(100 * r.cpu / r.seconds).toFixed(0)}% of a core → ${fmt((r.deltas + r.trades) / r.cpu)} events per CPU-second`);
  }
  // Below its target the simulator is saturated: that is its throughput, compared with raw Bun.
  if (eps < rate * 0.95) console.log(`                         saturated; ratio simulator events / raw-Bun frames: ${(eps / baselineFps).toFixed(2)}`);
  else console.log(`                         target rate reached`);
}
