/**
 * WebSocket fan-out of order_book/0: Hyperlight (a real node, child process, fed by the simulator
 * through the live client, MarketActor, stream bus, fan-out and Bun broadcaster) against a raw Bun
 * pub/sub server relaying the same venue frames verbatim, in one run, alternating.
 *
 * Each server has its own simulator (same seed and market, in this process), which records when it
 * sends each delta; the subscribers (their own processes) record when each delta arrives; latency
 * is the difference (both wall clock at sub-ms resolution on one machine). While one server is
 * measured, the other's simulator idles at 1 event/s, so neither pays for the other's work. The
 * simulator's delta rate per unit of its `rate` knob drifts with market activity, so each
 * measurement first calibrates the knob to the wanted deltas/s, and the delivered rates are printed.
 *
 *   1. Throughput: the simulator at a rate neither server can fan out in full; delivered msgs/s.
 *   2. Latency: the simulator at about half of the raw server's measured capacity; p50/p99 from
 *      venue send to client receipt, both servers at the same rate.
 *
 * With each measurement it prints the server process's CPU time per venue delta (Linux /proc;
 * user + system, all threads): unlike latency, it barely moves when other work loads the machine.
 * A server that fell behind in one phase (the throughput phase saturates it) still has the venue's
 * backlog queued when the next begins, which would show as seconds of "latency"; so every
 * measurement first waits, with its simulator idle, until the server's CPU use has settled.
 *
 *   bun bench/ws-fanout.ts [--subscribers 100,1000] [--seconds 4] [--rounds 2] [--offered 3000000]
 *                          [--topology single|split] [--redis-url redis://127.0.0.1:6379]
 *                          [--node-env KEY=VALUE,...]
 *
 * `--topology split`: the subscribers connect to a ROLE=api node fed over Redis by a ROLE=ingest
 * node, instead of one node doing both. It empties database 15 of the Redis server first, so it
 * only accepts a Redis on this machine (loopback).
 * `--node-env`: settings for the Hyperlight node(s) (e.g. `ACCOUNT_THREAD=main` to compare the two
 * places account tracking can run).
 * `--offered`: msgs/s offered in the throughput phase (deltas/s × subscribers), capped at 6,000
 * deltas/s — about what one node ingests for one market in real time on a 2-core machine.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Redis from "ioredis";
import { startSimulator } from "../src/venues/lighter/sim";
import { spawnService, tempDir } from "../test/support/process";
import { issueKey } from "../test/support/ws-client";
import { median, spread } from "./lib/raw-ingest";

const { values } = parseArgs({
  options: {
    subscribers: { type: "string", default: "100,1000" },
    seconds: { type: "string", default: "4" },
    rounds: { type: "string", default: "2" },
    offered: { type: "string", default: "3000000" },
    topology: { type: "string", default: "single" },
    "redis-url": { type: "string", default: "redis://127.0.0.1:6379" },
    "node-env": { type: "string", default: "" },
  },
});
/** Extra environment of the Hyperlight node(s): `--node-env ACCOUNT_THREAD=main,ACCOUNT_STREAM_MAX=0`. */
const NODE_ENV: Record<string, string> = {};
for (const pair of values["node-env"].split(",").filter(Boolean)) {
  const eq = pair.indexOf("=");
  if (eq <= 0) throw new Error(`--node-env takes KEY=VALUE pairs separated by commas, not ${pair}`);
  NODE_ENV[pair.slice(0, eq)] = pair.slice(eq + 1);
}
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const OFFERED = Number(values.offered);
if (values.topology !== "single" && values.topology !== "split") throw new Error(`--topology must be single or split, not ${values.topology}`);
const SPLIT = values.topology === "split";
/** Deltas/s one Hyperlight node still ingests for one market in real time on a 2-core box. */
const MAX_DELTAS = 6_000;
const MAX_SIM_RATE = 20_000;
const ADMIN = "admin-token-for-the-ws-fanout-benchmark-0123";
const now = () => performance.timeOrigin + performance.now();

/** Children to stop however the run ends. */
const live: Array<{ kill(signal?: number | NodeJS.Signals): void; exited: Promise<unknown> }> = [];
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    for (const p of live) p.kill();
    process.exit(130);
  });
}

// ---- venues: one simulator per server, market 0 only, with the send time of every delta
async function venue() {
  const sim = await startSimulator({ port: 0, host: "127.0.0.1", seed: 7, markets: [0], rate: IDLE_RATE, pingIntervalMs: 0 });
  const v = { sim, sentAt: new Map<number, number>(), deltas: 0 };
  sim.onEvent((e) => {
    if (e.type !== "book.delta") return;
    v.deltas++;
    v.sentAt.set(e.nonce, now());
    if (v.sentAt.size > 2_000_000) v.sentAt.clear();
  });
  return v;
}
const IDLE_RATE = 1;
const venues = { raw: await venue(), hyperlight: await venue() };

// ---- Hyperlight and the raw relay, both fed by the simulator. `single`: one node does everything
// (ROLE=all). `split`: a ROLE=ingest node takes the venue feed (recorder, account tracking, market
// actors) and the subscribers connect to a ROLE=api node that gets the streams over Redis, so the
// process that fans out does no ingest work; the latency then includes the hop through Redis.
const dir = tempDir("bench-ws");
const common = { ...NODE_ENV, ADMIN_TOKEN: ADMIN, WS_PING_INTERVAL_MS: "600000", WS_SEND_BUFFER_BYTES: String(8 << 20), REGISTRATIONS_PER_IP_PER_HOUR: "1000" };
const venueEnv = { LIGHTER_URL: venues.hyperlight.sim.url, LIGHTER_WS_URL: venues.hyperlight.sim.wsUrl, LIGHTER_MARKETS: "0" };
// A Redis database of its own (leader lock, cache, bus), emptied first: a stale lock would stall the
// run. Only on this machine's Redis: emptying a database of a shared one is not a benchmark's call.
const redisTarget = new URL(values["redis-url"]);
redisTarget.pathname = "/15";
const redisUrl = redisTarget.toString();
if (SPLIT) {
  if (!["127.0.0.1", "localhost", "[::1]"].includes(redisTarget.hostname)) throw new Error(`--topology split empties Redis database 15, so it needs a loopback Redis, not ${redisTarget.hostname}`);
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  await redis.flushdb();
  redis.disconnect();
}
const node = SPLIT
  ? spawnService({ ...common, ROLE: "api", REDIS_URL: redisUrl, DATA_DIR: join(dir, "api") })
  : spawnService({ ...common, ...venueEnv, DATA_DIR: dir });
const ingest = SPLIT ? spawnService({ ...common, ...venueEnv, ROLE: "ingest", REDIS_URL: redisUrl, DATA_DIR: join(dir, "ingest") }) : null;
live.push(node, ...(ingest ? [ingest] : []));
/** Stops every child, both simulators and the data directory: how the run ends, whichever way. */
async function shutdown() {
  for (const p of live) p.kill();
  await Promise.all(live.map((p) => p.exited));
  await Promise.all([venues.raw.sim.stop(), venues.hyperlight.sim.stop()]);
  rmSync(dir, { recursive: true, force: true });
}
const nodePort = await node.port();
const key = await issueKey(`http://127.0.0.1:${nodePort}`, ADMIN, "enterprise");
if (ingest) {
  // Ready once the api node serves market 0's book from the shared cache (the ingest node is live).
  const deadline = performance.now() + 30_000;
  while ((await fetch(`http://127.0.0.1:${nodePort}/api/v1/orderbook/0`, { headers: { "x-api-key": key } })).status !== 200) {
    if (performance.now() > deadline) {
      await shutdown();
      throw new Error("the api node never served market 0");
    }
    await Bun.sleep(200);
  }
}
/** The Hyperlight processes whose CPU a measurement counts (api node first). */
const hyperlightPids = [node.proc.pid, ...(ingest ? [ingest.proc.pid] : [])];
const relay = Bun.spawn([process.execPath, join(import.meta.dir, "lib/raw-relay.ts"), venues.raw.sim.wsUrl], { stdout: "pipe", stderr: "inherit" });
live.push(relay);
const relayLines = lines(relay.stdout);
const relayPort = (JSON.parse((await relayLines.next()).value as string) as { port: number }).port;

const targets = {
  raw: { name: "raw Bun pub/sub", url: `ws://127.0.0.1:${relayPort}/`, key: "-" },
  hyperlight: { name: SPLIT ? "Hyperlight api" : "Hyperlight /ws", url: `ws://127.0.0.1:${nodePort}/ws`, key },
} as const;
type Target = keyof typeof targets;

/** Lines of a child's stdout. */
async function* lines(stream: ReadableStream<Uint8Array>) {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = rest.indexOf("\n")) >= 0) {
      yield rest.slice(0, i);
      rest = rest.slice(i + 1);
    }
  }
}

interface Measured {
  /** Frames delivered per second, all subscribers together. */
  rate: number;
  /** Deltas per second the venue sent meanwhile. */
  offered: number;
  latencies: number[];
  /** Server CPU µs per venue delta in the window, per process (api node first; NaN where /proc is unavailable). */
  cpuPerDelta: number[];
}

/** CPU time (ms, user + system) a process has used so far, from /proc; NaN elsewhere. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
/** USER_HZ: 100 on every mainstream Linux build. */
const CLOCK_TICKS = 100;

/**
 * Waits until `pid` uses under 10% of a core over 500 ms (its backlog is drained), for at most
 * 30 s; returns at once where /proc is unavailable.
 */
async function settled(pid: number): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const c0 = cpuMs(pid);
    if (Number.isNaN(c0)) return;
    await Bun.sleep(500);
    if (cpuMs(pid) - c0 < 50) return;
  }
}

/** Deltas/s per unit of each simulator's `rate` knob, as last seen. */
const perUnit: Record<"raw" | "hyperlight", number> = { raw: 1, hyperlight: 1 };

/**
 * Holds a target's simulator near `deltasPerSecond` until stopped: every 250 ms the knob is
 * corrected by the square root of wanted/seen (damped, so bursts do not make it oscillate). The
 * simulator's activity per knob unit drifts with its market, which a fixed knob cannot follow.
 */
function holdRate(target: "raw" | "hyperlight", deltasPerSecond: number): () => void {
  const v = venues[target];
  const clamp = (k: number) => Math.max(2, Math.min(MAX_SIM_RATE, Math.round(k)));
  let knob = clamp(deltasPerSecond / perUnit[target]);
  v.sim.setRate(knob);
  let [d0, t0] = [v.deltas, now()];
  const timer = setInterval(() => {
    const seen = ((v.deltas - d0) * 1000) / (now() - t0);
    [d0, t0] = [v.deltas, now()];
    if (seen > 0) perUnit[target] = seen / knob;
    knob = clamp(seen > 0 ? knob * Math.sqrt(deltasPerSecond / seen) : knob * 2);
    v.sim.setRate(knob);
  }, 250);
  return () => clearInterval(timer);
}

/**
 * Connects `n` subscribers to a target (in up to two processes), runs its simulator at `rate` (the
 * other's idles), measures, disconnects.
 */
async function measure(target: Target, n: number, deltasPerSecond: number, seconds: number): Promise<Measured> {
  const t = targets[target];
  venues.raw.sim.setRate(IDLE_RATE);
  venues.hyperlight.sim.setRate(IDLE_RATE);
  const pids = target === "raw" ? [relay.pid] : hyperlightPids;
  for (const pid of pids) await settled(pid);
  const procs = n >= 200 ? 2 : 1;
  const kids = Array.from({ length: procs }, () => {
    const p = Bun.spawn([process.execPath, join(import.meta.dir, "lib/ws-subscribers.ts"), t.url, String(n / procs), t.key, "8"], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    return { p, out: lines(p.stdout) };
  });
  live.push(...kids.map((k) => k.p));
  for (const k of kids) await k.out.next();
  const release = holdRate(target, deltasPerSecond);
  await Bun.sleep(2_000); // the rate settles; queues, buffers and JIT warm up before counting
  const v = venues[target];
  const [d0, t0, c0] = [v.deltas, now(), pids.map(cpuMs)];
  for (const k of kids) k.p.stdin.write(`measure ${seconds}\n`);
  for (const k of kids) k.p.stdin.flush();
  const results = await Promise.all(kids.map(async (k) => JSON.parse((await k.out.next()).value as string) as { messages: number; seconds: number; samples: number[] }));
  for (const k of kids) {
    k.p.stdin.write("exit\n");
    k.p.stdin.flush();
  }
  const offered = ((v.deltas - d0) * 1000) / (now() - t0);
  const cpuPerDelta = pids.map((pid, i) => ((cpuMs(pid) - c0[i]!) * 1000) / Math.max(1, v.deltas - d0));
  release();
  await Promise.all(kids.map((k) => k.p.exited));
  venues[target].sim.setRate(IDLE_RATE);
  const latencies: number[] = [];
  for (const r of results) {
    for (let i = 0; i < r.samples.length; i += 2) {
      const sent = venues[target].sentAt.get(r.samples[i]!);
      if (sent !== undefined) latencies.push(r.samples[i + 1]! - sent);
    }
  }
  return { rate: results.reduce((a, r) => a + r.messages / r.seconds, 0), offered, latencies, cpuPerDelta };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
};
try {
  for (const n of values.subscribers.split(",").map(Number)) {
    console.log(`\n== order_book/0 → ${n} subscribers (${ROUNDS} alternating rounds × ${SECONDS}s) ==`);
    const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
    // 1. Throughput: offer more than either can deliver.
    const high = Math.min(OFFERED / n, MAX_DELTAS);
    const tput: Record<Target, Measured[]> = { raw: [], hyperlight: [] };
    for (let r = 0; r < ROUNDS; r++) for (const t of ["raw", "hyperlight"] as const) tput[t].push(await measure(t, n, high, SECONDS));
    const raw = median(tput.raw.map((m) => m.rate));
    const hl = median(tput.hyperlight.map((m) => m.rate));
    for (const t of ["raw", "hyperlight"] as const) {
      const offered = median(tput[t].map((m) => m.offered));
      const delivered = median(tput[t].map((m) => m.rate));
      console.log(`throughput  ${targets[t].name.padEnd(16)} offered ${fmt(offered)} deltas/s × ${n} = ${fmt(offered * n).padStart(10)} msgs/s   delivered ${fmt(delivered).padStart(10)} msgs/s (${spread(tput[t].map((m) => m.rate))}), ${((100 * delivered) / (offered * n)).toFixed(0)}% of offered`);
    }
    console.log(`throughput ratio hyperlight / raw: ${(hl / raw).toFixed(3)}x`);

    // 2. Latency at about half the raw capacity, and at a tenth of it.
    for (const [label, share] of [["half", 0.5], ["a tenth", 0.1]] as const) {
      const wanted = (raw / n) * share;
      const lat: Record<Target, Measured[]> = { raw: [], hyperlight: [] };
      for (let r = 0; r < ROUNDS; r++) for (const t of ["raw", "hyperlight"] as const) lat[t].push(await measure(t, n, wanted, SECONDS));
      const p = (t: Target, q: number) => median(lat[t].map((m) => pct(m.latencies, q)));
      const r = (t: Target) => median(lat[t].map((m) => m.rate));
      console.log(`latency at ${label} of raw capacity: ${fmt(wanted)} deltas/s × ${n} = ${fmt(wanted * n)} msgs/s wanted`);
      for (const t of ["raw", "hyperlight"] as const) {
        const cpu = lat[t][0]!.cpuPerDelta.map((_, i) => median(lat[t].map((m) => m.cpuPerDelta[i]!)).toFixed(0));
        const cpuText = cpu.length === 1 ? `server CPU ${cpu[0]} µs/delta` : `CPU ${cpu[0]} µs/delta (api) + ${cpu[1]} µs/delta (ingest)`;
        console.log(`  ${targets[t].name.padEnd(16)} delivered ${fmt(r(t)).padStart(10)} msgs/s   p50 ${p(t, 0.5).toFixed(2)} ms   p99 ${p(t, 0.99).toFixed(2)} ms   ${cpuText}`);
      }
      // Each round measures raw, then Hyperlight, back to back: the pairs share the machine's state.
      const paired = lat.raw.map((m, i) => pct(lat.hyperlight[i]!.latencies, 0.99) - pct(m.latencies, 0.99));
      const byGap = [...paired].sort((a, b) => a - b);
      const half = byGap.length >> 1;
      // The median of the rounds' gaps: the middle one, or the mean of the middle two.
      const midGap = byGap.length % 2 === 1 ? byGap[half]! : (byGap[half - 1]! + byGap[half]!) / 2;
      console.log(
        `  p99 difference (hyperlight − raw): ${(p("hyperlight", 0.99) - p("raw", 0.99)).toFixed(2)} ms   median of the rounds: ${midGap.toFixed(2)} ms` +
          `   per round: ${paired.map((d) => d.toFixed(2)).join(", ")} ms`,
      );
    }
  }
} finally {
  await shutdown();
}
