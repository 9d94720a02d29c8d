/**
 * The signal engine under a high simulator event rate: 10,000 active signals on one market (mixed
 * fields, operators, logics and cooldowns, thresholds spread around the traded prices, see
 * lib/signal-mix.ts) against no signal engine at all.
 *
 * Events: the simulator fast-forwarded with every book delta, its frames put through the live
 * client's frame handling and the ingest router (as seeding does), and the resulting `feed.*`
 * inputs of one market captured once. Each round builds four worlds — a real MarketActor alone, one
 * with the engine and its 10,000 SignalActors attached, the same with quiet runs turned off (every
 * event evaluated in full, as the engine did before them; evaluator.ts `calm`), and the engine
 * attached with no signal (the cost of having listeners on the actor at all) — each on a
 * virtual clock that follows the events' time (so cooldowns end and signals re-arm during the run),
 * and feeds them the same inputs interleaved event by event, in rotating order: on a loaded
 * machine, preemptions and GC then hit all alike.
 *
 * Reported: the market event path's latency — `actor.send(input)` until it returns, so including
 * every listener of the actor's events: the engine's evaluation and its firings' hand-off — p50 and
 * p99 with 10,000 signals vs none (target p99 ≤ 1.2×), and the p99 over events that fired nothing;
 * the time spent in timers between events (SignalActor transitions, payloads and `onFire`, which the
 * engine runs just after the event); rule evaluations per second of event-path time (signals
 * watching a field an event updated, each decided) and the condition checks actually done to
 * decide them (index entries walked, candidates re-checked; see domain/signals/evaluator.ts); the
 * time and heap it takes to load 10,000 signals (one SignalActor each).
 *
 * Then the whole ingest path per venue frame (lib/ingest-world.ts): the same venue frames through
 * the client's frame handling, the router, the MarketActor, the bridge (recorder on SQLite in a
 * temporary directory, candles, live publisher, metrics sampler) and the engine, p50/p99 per frame
 * without and with the 10,000 signals, interleaved frame by frame.
 *
 *   bun bench/signals.ts [--signals 10000] [--seconds 60] [--rate 2000] [--rounds 3] [--market 0]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Actor } from "xstate";
import { createActorSystem } from "../src/actors/system";
import { marketMachine, type MarketMachine } from "../src/actors/market/market.machine";
import type { MarketInput } from "../src/actors/market/market.events";
import { silentLogger } from "../src/lib/log";
import { toMarketInfo as toInfo, LIGHTER, routeLighterEvents } from "../src/ingest/lighter-router";
import { createSignalEngine } from "../src/signals/engine";
import { LighterFeed } from "../src/venues/lighter/feed";
import { newStats } from "../src/venues/lighter/events";
import { runHistory, type HistoryEvent } from "../src/venues/lighter/sim";
import { simHistorySource } from "../src/venues/lighter/sim/history-source";
import { buildSignals } from "./lib/signal-mix";
import { HeapClock } from "./lib/heap-clock";
import { ingestWorld } from "./lib/ingest-world";

const { values } = parseArgs({
  options: {
    signals: { type: "string", default: "10000" },
    seconds: { type: "string", default: "60" },
    rate: { type: "string", default: "2000" },
    rounds: { type: "string", default: "3" },
    market: { type: "string", default: "0" },
  },
});
const SIGNALS = Number(values.signals);
const MARKET_ID = Number(values.market);
const SEED = 5;
const FROM = Date.UTC(2026, 0, 1, 0, 30);
const TO = FROM + Number(values.seconds) * 1000;
const log = silentLogger();

// ── capture the market's feed.* inputs once ──
const source = simHistorySource({ seed: SEED });
const info = source.markets.map(toInfo).find((m) => m.marketId === MARKET_ID)!;
const inputs: Array<{ at: number; input: MarketInput }> = [];
/** The venue frames themselves, for the whole ingest path. */
const frames: Array<{ at: number; text: string }> = [];
const genClock = new HeapClock(FROM);
const capture = { send: (input: MarketInput) => inputs.push({ at: genClock.now(), input }) } as unknown as Actor<MarketMachine>;
const route = routeLighterEvents({ onMarkets: () => {}, market: (id) => (id === MARKET_ID ? capture : undefined), all: () => [capture] });
route({ type: "markets", markets: source.markets });
const feed = new LighterFeed({
  markets: source.markets, stats: newStats(), log, clock: genClock, emit: route,
  port: { send: () => {}, connected: () => {}, requestReconnect: () => {}, backfill: async () => ({ trades: [], reachedAfterId: true }) },
});
feed.sessionStarted(false);
const toFrame = (e: HistoryEvent): string | null =>
  e.type === "trades" ? JSON.stringify({ channel: `trade:${e.marketId}`, type: "update/trade", nonce: e.nonce, trades: e.trades, liquidation_trades: e.liquidationTrades })
  : e.type === "book" || e.type === "book.delta" ? JSON.stringify(e.frame)
  : e.type === "stats" ? JSON.stringify({ channel: `market_stats:${e.marketId}`, type: "update/market_stats", timestamp: e.time, market_stats: e.stats })
  : null;
const genStarted = performance.now();
await runHistory({
  seed: SEED, from: FROM, to: TO, rate: Number(values.rate), includeDeltas: true, snapshotEveryMs: 60_000,
  onEvent(e) {
    if (e.marketId !== MARKET_ID && e.type !== "stats") return;
    const frame = toFrame(e);
    if (!frame) return;
    if (e.time > genClock.now()) genClock.set(e.time);
    frames.push({ at: e.time, text: frame });
    feed.handleText(frame);
  },
});
const count = (t: MarketInput["type"]) => inputs.filter((x) => x.input.type === t).length;
const tradeCount = inputs.reduce((n, x) => n + (x.input.type === "feed.trades" ? x.input.trades.length : 0), 0);
console.log(`market ${info.symbol}: ${inputs.length} inputs over ${values.seconds} s of simulator time (${(inputs.length / Number(values.seconds)).toFixed(0)}/s): ` +
  `${count("feed.delta")} book deltas, ${count("feed.snapshot")} snapshots, ${count("feed.trades")} trade batches (${tradeCount} trades); generated in ${((performance.now() - genStarted) / 1000).toFixed(1)} s`);

const defs = buildSignals(SIGNALS, inputs.map((x) => x.input), info, 42);

// ── one round: both worlds replay the same inputs, interleaved event by event ──
// On a loaded machine, preemptions and GC land on whatever runs; interleaving gives both worlds the
// same exposure, where back-to-back runs of different lengths would not.

/**
 * none: no engine; quiet: the engine as it runs; per-trade: every event evaluated in full (the
 * engine before quiet runs); empty: the engine attached with no signal (its listeners alone: XState
 * dispatches an emitted event only when the actor has a listener for it, which the bare actor has not).
 */
type Mode = "none" | "quiet" | "per-trade" | "empty";

interface World {
  clock: HeapClock;
  actor: Actor<MarketMachine>;
  engine: ReturnType<typeof createSignalEngine> | null;
  lat: Float64Array;
  /** Time spent in timers between events (SignalActor firings and cooldown ends, samples). */
  timerMs: number;
  stop(): void;
}

let firings = 0;

function world(mode: Mode): World & { loadMs: number; heapMiB: number } {
  const clock = new HeapClock(FROM);
  const system = createActorSystem({ clock, log });
  const engine = mode === "none" ? null : createSignalEngine({ clock, log, system, onFire: () => void firings++, quietRuns: mode !== "per-trade" });
  Bun.gc(true);
  const heapBefore = process.memoryUsage().heapUsed;
  const loadStart = performance.now();
  if (engine && mode !== "empty") for (const d of defs) engine.upsert(d, info);
  const loadMs = performance.now() - loadStart;
  Bun.gc(true);
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  const input = { venue: LIGHTER, marketId: MARKET_ID, priceDecimals: info.priceDecimals, sizeDecimals: info.sizeDecimals };
  const actor = system.spawn(`market:${MARKET_ID}`, marketMachine, { input, wire: (ref) => engine?.attach(ref, info) }).ref;
  return { clock, actor, engine, lat: new Float64Array(inputs.length), timerMs: 0, loadMs, heapMiB, stop: () => (engine?.stop(), system.stopAll()) };
}

interface Summary { p50: number; p99: number; mean: number; timerMs: number; p99Quiet: number; p99Deltas: number; p99Trades: number }
interface RoundResult {
  base: Summary;
  cand: Summary;
  old: Summary;
  empty: Summary;
  evaluations: number; checks: number; recorded: number; firings: number; firingEvents: number; loadMs: number; heapMiB: number; evalMs: number;
}

function round(): RoundResult {
  firings = 0;
  const base = world("none");
  const cand = world("quiet");
  const old = world("per-trade");
  const empty = world("empty");
  const all = [base, cand, old, empty];
  const fired = new Uint8Array(inputs.length);
  // Firings are made inside the market event (the engine's `firings` count) and handed to onFire
  // only in a later timer, so an event is classed as firing by the count moving across its send.
  const madeSoFar = () => cand.engine!.stats().firings;
  const step = (w: World, i: number) => {
    const { at, input } = inputs[i]!;
    const t = performance.now();
    if (at > w.clock.now()) w.clock.set(at); // timers run here, between events
    const made = w === cand ? madeSoFar() : 0;
    const t0 = performance.now();
    w.actor.send(input);
    const t1 = performance.now();
    w.timerMs += t0 - t;
    w.lat[i] = t1 - t0;
    if (w === cand && madeSoFar() !== made) fired[i] = 1;
  };
  for (let i = 0; i < inputs.length; i++) for (let k = 0; k < all.length; k++) step(all[(i + k) % all.length]!, i);
  const { evaluations, checks, recorded } = cand.engine!.stats();
  for (const w of all) w.stop();
  const q = (xs: Float64Array, p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]! * 1000;
  const summary = (w: World) => {
    const mean = (w.lat.reduce((a, b) => a + b, 0) / w.lat.length) * 1000;
    const quiet = Float64Array.from(w.lat.filter((_, i) => fired[i] === 0)).sort();
    const ofType = (t: MarketInput["type"]) => Float64Array.from(w.lat.filter((_, i) => fired[i] === 0 && inputs[i]!.input.type === t)).sort();
    const sorted = Float64Array.from(w.lat).sort();
    return { p50: q(sorted, 0.5), p99: q(sorted, 0.99), mean, timerMs: w.timerMs, p99Quiet: q(quiet, 0.99), p99Deltas: q(ofType("feed.delta"), 0.99), p99Trades: q(ofType("feed.trades"), 0.99), sumMs: mean * w.lat.length / 1000 };
  };
  const c = summary(cand);
  return {
    base: summary(base), cand: c, old: summary(old), empty: summary(empty), evaluations, recorded, checks, firings, firingEvents: fired.reduce((a, b) => a + b, 0), loadMs: cand.loadMs, heapMiB: cand.heapMiB,
    evalMs: c.sumMs,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
round(); // warm-up (JIT)
const rounds: RoundResult[] = [];
for (let r = 0; r < Number(values.rounds); r++) rounds.push(round());
const m = (f: (r: RoundResult) => number) => median(rounds.map(f));
const line = (name: string, k: "base" | "cand" | "old" | "empty") =>
  console.log(`${name.padEnd(18)} p50 ${m((r) => r[k].p50).toFixed(2).padStart(6)} µs   p99 ${m((r) => r[k].p99).toFixed(2).padStart(7)} µs   ` +
    `mean ${m((r) => r[k].mean).toFixed(2).padStart(6)} µs   timers between events ${m((r) => r[k].timerMs).toFixed(0).padStart(5)} ms   ` +
    `p99 of events firing nothing: book deltas ${m((r) => r[k].p99Deltas).toFixed(2)} µs, trade batches ${m((r) => r[k].p99Trades).toFixed(2)} µs`);
console.log(`\n== market event path, ${inputs.length} events per round (${values.rounds} rounds, medians; worlds interleaved per event) ==`);
line("no signal engine", "base");
line(`${SIGNALS} signals`, "cand");
line("  … per-trade path", "old");
line("engine, no signal", "empty");
const evalPerSec = m((r) => r.evaluations) / (m((r) => r.evalMs) / 1000);
console.log(`\nrule evaluations: ${m((r) => r.evaluations).toLocaleString("en-US")} per round = ${Math.round(evalPerSec).toLocaleString("en-US")}/s of event-path time, ` +
  `decided with ${m((r) => r.checks).toLocaleString("en-US")} condition checks; ` +
  `firings per round: ${m((r) => r.firings)} in ${m((r) => r.firingEvents)} of ${inputs.length} events; ` +
  `evaluator events only recorded (nothing could fire): ${m((r) => r.recorded).toLocaleString("en-US")}`);
console.log(`loading ${SIGNALS} signals (one SignalActor each): ${m((r) => r.loadMs).toFixed(0)} ms (${((m((r) => r.loadMs) * 1000) / SIGNALS).toFixed(1)} µs each), ` +
  `heap +${m((r) => r.heapMiB).toFixed(1)} MiB (${((m((r) => r.heapMiB) * 2 ** 20) / SIGNALS / 1024).toFixed(2)} KiB each)`);
const ratio = m((r) => r.cand.p99 / r.base.p99);
console.log(`p99 ratio (signals / none): ${ratio.toFixed(2)}×   target ≤ 1.2×: ${ratio <= 1.2 ? "met" : "MISSED"}   ` +
  `(over the events that fired nothing in both worlds: ${m((r) => r.cand.p99Quiet / r.base.p99Quiet).toFixed(2)}×; p50 ${m((r) => r.cand.p50 / r.base.p50).toFixed(2)}×; mean ${m((r) => r.cand.mean / r.base.mean).toFixed(2)}×)`);
console.log(`  per-trade path (every event evaluated in full, as before quiet runs): p99 ${m((r) => r.old.p99 / r.base.p99).toFixed(2)}×, ` +
  `events that fired nothing ${m((r) => r.old.p99Quiet / r.base.p99Quiet).toFixed(2)}×, p50 ${m((r) => r.old.p50 / r.base.p50).toFixed(2)}×, mean ${m((r) => r.old.mean / r.base.mean).toFixed(2)}×`);
console.log(`  engine attached with no signal (listener dispatch alone): p99 ${m((r) => r.empty.p99 / r.base.p99).toFixed(2)}×, ` +
  `events that fired nothing ${m((r) => r.empty.p99Quiet / r.base.p99Quiet).toFixed(2)}×; 10,000 signals against it: p99 ${m((r) => r.cand.p99 / r.empty.p99).toFixed(2)}×, ` +
  `events that fired nothing ${m((r) => r.cand.p99Quiet / r.empty.p99Quiet).toFixed(2)}×`);

await wholePath();
process.exit(0);

/**
 * The whole ingest path per venue frame (bench/lib/ingest-world.ts): the same frames through two
 * nodes' ingest, without and with the 10,000 signals, interleaved frame by frame. Every 256
 * frames both yield to the event loop (untimed) so the recorders' store writes proceed.
 */
async function wholePath(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "hl-bench-signals-"));
  try {
    const one = async (r: number) => {
      const mk = (name: string, withSignals: boolean) =>
        ingestWorld({ dir, name: `${name}-${r}`, from: FROM, markets: source.markets, info, log, defs: withSignals ? defs : null, onFire: () => {} });
      const worlds = [await mk("none", false), await mk("signals", true)];
      const lat = worlds.map(() => new Float64Array(frames.length));
      for (let i = 0; i < frames.length; i++) {
        const { at, text } = frames[i]!;
        for (let k = 0; k < 2; k++) {
          const w = (i + k) % 2;
          const world = worlds[w]!;
          if (at > world.clock.now()) world.clock.set(at);
          const t0 = performance.now();
          world.frame(text);
          lat[w]![i] = performance.now() - t0;
        }
        if (i % 256 === 255) await new Promise((resolve) => setImmediate(resolve));
      }
      for (const w of worlds) await w.stop();
      return lat.map((xs) => {
        const sorted = Float64Array.from(xs).sort();
        const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 1000;
        return { p50: q(0.5), p99: q(0.99), mean: (xs.reduce((a, b) => a + b, 0) / xs.length) * 1000 };
      });
    };
    await one(-1); // warm-up
    const res: Array<Awaited<ReturnType<typeof one>>> = [];
    for (let r = 0; r < Number(values.rounds); r++) res.push(await one(r));
    const mm = (f: (x: (typeof res)[number]) => number) => median(res.map(f));
    console.log(`\n== whole ingest path per venue frame: ${frames.length} frames per round (client frame handling → router → MarketActor → ` +
      `bridge: recorder on SQLite, candles, live publisher, metrics; + engine), ${values.rounds} rounds, medians; worlds interleaved per frame ==`);
    ["no signal engine", `${SIGNALS} signals`].forEach((name, w) =>
      console.log(`${name.padEnd(18)} p50 ${mm((x) => x[w]!.p50).toFixed(2).padStart(6)} µs   p99 ${mm((x) => x[w]!.p99).toFixed(2).padStart(7)} µs   mean ${mm((x) => x[w]!.mean).toFixed(2).padStart(6)} µs`));
    const pr = mm((x) => x[1]!.p99 / x[0]!.p99);
    console.log(`p99 ratio (signals / none): ${pr.toFixed(2)}×   target ≤ 1.2×: ${pr <= 1.2 ? "met" : "MISSED"}   ` +
      `(p50 ${mm((x) => x[1]!.p50 / x[0]!.p50).toFixed(2)}×; mean ${mm((x) => x[1]!.mean / x[0]!.mean).toFixed(2)}×; per-round p99 ratios ${res.map((x) => (x[1]!.p99 / x[0]!.p99).toFixed(2)).join(", ")})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
