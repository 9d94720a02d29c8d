/**
 * Lighter client throughput: frames per second the client parses, validates and applies
 * (JSON.parse → compiled TypeBox check → fixed-point book / trade dedupe → event), fed
 * pre-recorded frames in-process, against a `JSON.parse`-only baseline over the same frames.
 * With `--sim`, also over a real loopback socket from the simulator, if it is present.
 *
 *   bun bench/client-parse.ts [--frames 200000] [--rounds 5] [--sim] [--sim-seconds 5] [--sim-rate 20000]
 */
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ManualClock } from "../src/lib/clock.ts";
import { silentLogger } from "../src/lib/log.ts";
import { createRandom } from "../src/lib/random.ts";
import { type MarketInfo, newStats } from "../src/venues/lighter/events.ts";
import { LighterFeed } from "../src/venues/lighter/feed.ts";
import { LighterClient } from "../src/venues/lighter/client.ts";
import { bookFrame, lv, marketStats, statsFrame, trade, tradeFrame } from "../test/fixtures/lighter-frames.ts";

const { values } = parseArgs({
  options: {
    frames: { type: "string", default: "200000" },
    rounds: { type: "string", default: "5" },
    sim: { type: "boolean", default: false },
    "sim-seconds": { type: "string", default: "5" },
    "sim-rate": { type: "string", default: "20000" },
    "serve-sim": { type: "boolean", default: false },
  },
});
if (values["serve-sim"]) {
  const { startSimulator } = await import("../src/venues/lighter/sim/index.ts");
  const sim = await startSimulator({ seed: 5, rate: Number(values["sim-rate"]) });
  console.log(JSON.stringify({ url: sim.url, wsUrl: sim.wsUrl }));
  await new Promise(() => {}); // serve until killed by the parent
}
const FRAMES = Number(values.frames);
const ROUNDS = Number(values.rounds);
const MARKETS = 4;

const market = (id: number): MarketInfo => ({
  marketId: id, symbol: `M${id}`, marketType: "perp", status: "active", priceDecimals: 2, sizeDecimals: 4,
  quoteDecimals: 6, minBaseAmount: "0.0050", minQuoteAmount: "10.000000", takerFee: "0.0000", makerFee: "0.0000",
});

/** A realistic mix: ~85% book deltas (1–4 levels), ~12% trade updates, ~3% market_stats. */
function record(count: number): string[] {
  const rnd = createRandom(42);
  const nonces = Array.from({ length: MARKETS }, () => 1000);
  const frames: string[] = [];
  const level = () => lv((2000 + rnd.int(-300, 300) / 100).toFixed(2), rnd.bool(0.2) ? "0.0000" : (rnd.int(1, 50000) / 10000).toFixed(4));
  for (let m = 0; m < MARKETS; m++) {
    const bids = Array.from({ length: 50 }, (_, i) => lv((1999.99 - i / 100).toFixed(2), "1.0000"));
    const asks = Array.from({ length: 50 }, (_, i) => lv((2000.01 + i / 100).toFixed(2), "1.0000"));
    frames.push(JSON.stringify(bookFrame(m, "snapshot", 0, nonces[m]!, bids, asks)));
  }
  let tradeId = 1;
  while (frames.length < count) {
    const m = rnd.int(0, MARKETS - 1);
    const roll = rnd.next();
    if (roll < 0.85) {
      const begin = nonces[m]!;
      const next = begin + rnd.int(1, 20);
      nonces[m] = next;
      const n = rnd.int(1, 4);
      const bids = Array.from({ length: rnd.int(0, n) }, level);
      const asks = Array.from({ length: n - bids.length }, level);
      frames.push(JSON.stringify(bookFrame(m, "delta", begin, next, bids, asks)));
    } else if (roll < 0.97) {
      const list = Array.from({ length: rnd.int(1, 2) }, () => trade(tradeId++, m, "2000.00", "0.1000", { is_maker_ask: rnd.bool() }));
      frames.push(JSON.stringify(tradeFrame(m, "update", list)));
    } else {
      frames.push(JSON.stringify(statsFrame(marketStats(m, 3_600_001), `market_stats:${m}`)));
    }
  }
  return frames;
}

function runClient(frames: readonly string[]): { seconds: number; events: number; stats: ReturnType<typeof newStats> } {
  const stats = newStats();
  let events = 0;
  const feed = new LighterFeed({
    markets: Array.from({ length: MARKETS }, (_, i) => market(i)),
    stats, clock: new ManualClock(0), log: silentLogger(), emit: () => void events++,
    port: { send() {}, connected() {}, requestReconnect() {}, backfill: async () => ({ trades: [], reachedAfterId: true }) },
  });
  const t0 = performance.now();
  for (const f of frames) feed.handleText(f);
  return { seconds: (performance.now() - t0) / 1000, events, stats };
}

function runBaseline(frames: readonly string[]): number {
  let sink = 0;
  const t0 = performance.now();
  for (const f of frames) sink += (JSON.parse(f) as { type: string }).type.length;
  if (sink < 0) console.log(sink);
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const frames = record(FRAMES);
const bytes = frames.reduce((n, f) => n + f.length, 0);
runClient(frames.slice(0, 20_000)); // warm the JIT
runBaseline(frames.slice(0, 20_000));
const client: number[] = [];
const base: number[] = [];
let last = runClient(frames);
for (let r = 0; r < ROUNDS; r++) {
  base.push(runBaseline(frames));
  last = runClient(frames);
  client.push(last.seconds);
}
if (last.stats.malformedFrames || last.stats.gaps) throw new Error(`bench frames rejected: ${JSON.stringify(last.stats)}`);
const clientFps = FRAMES / median(client);
const baseFps = FRAMES / median(base);
console.log(`lighter client, in-process: ${FRAMES} frames (${(bytes / FRAMES).toFixed(0)} B avg), ${MARKETS} markets, median of ${ROUNDS}`);
console.log(`  client parse+validate+apply : ${Math.round(clientFps).toLocaleString()} frames/s  (${(1e6 / clientFps).toFixed(2)} µs/frame, ${last.events} events)`);
console.log(`  baseline JSON.parse only    : ${Math.round(baseFps).toLocaleString()} frames/s`);
console.log(`  ratio client / baseline     : ${(clientFps / baseFps).toFixed(2)}`);

if (values.sim) await loopback(Number(values["sim-seconds"]), Number(values["sim-rate"]));

/**
 * Over a real loopback socket: the simulator runs in a child process (so its engine does not share
 * this event loop) at a high target rate; the client here counts frames and the CPU it spent.
 */
async function loopback(seconds: number, rate: number): Promise<void> {
  const simIndex = join(import.meta.dir, "../src/venues/lighter/sim/index.ts");
  if (!existsSync(simIndex)) return console.log("simulator not present: loopback figure skipped");
  const child = Bun.spawn([process.execPath, import.meta.path, "--serve-sim", "--sim-rate", String(rate)], { stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  const first = await reader.read();
  const { url, wsUrl } = JSON.parse(new TextDecoder().decode(first.value).trim().split("\n")[0]!) as { url: string; wsUrl: string };
  const client = new LighterClient({ restUrl: url, wsUrl, markets: "all", log: silentLogger(), sendBurst: 1000, sendPerMinute: 60_000 });
  let connected!: () => void;
  const ready = new Promise<void>((r) => (connected = r));
  client.on((e) => e.type === "connection" && e.state === "connected" && connected());
  await client.start();
  await ready;
  const before = { ...client.stats };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Bun.sleep(seconds * 1000); // a measurement window, not a synchronisation
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const frames = client.stats.framesReceived - before.framesReceived;
  const deltas = client.stats.bookDeltas - before.bookDeltas;
  const trades = client.stats.tradesEmitted - before.tradesEmitted;
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  client.stop();
  child.kill();
  await child.exited;
  console.log(`lighter client, loopback socket from the simulator (child process, target ${rate} events/s), ${wall.toFixed(1)} s`);
  console.log(`  frames received+applied     : ${Math.round(frames / wall).toLocaleString()} frames/s (${Math.round(deltas / wall).toLocaleString()} book deltas/s, ${Math.round(trades / wall).toLocaleString()} trades/s)`);
  console.log(`  client process CPU          : ${((cpuSec / wall) * 100).toFixed(0)}% of one core, ${((cpuSec * 1e6) / Math.max(1, frames)).toFixed(2)} µs/frame incl. socket`);
  console.log(`  gaps ${client.stats.gaps}, malformed ${client.stats.malformedFrames}`);
}
