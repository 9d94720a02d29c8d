/**
 * A firing storm's outbox commits on SQLite: 10,000 signals fire at once and the engine hands the
 * firings over in chunks of 256 per timer turn (as src/signals/engine.ts does). Compared in the same
 * run, alternating:
 *
 * - per firing: what the runtime did before batching — a `byId` read, then `outbox.fire` (one
 *   IMMEDIATE transaction per firing), all started during the hand-over;
 * - batched: the runtime (src/signals/runtime.ts) — one `byIds` read and one `recordFirings`
 *   transaction per batch (its default size, and 100), one batch in flight at a time.
 *
 * Reported per mode: the longest event-loop stall (the largest gap between consecutive turns of a
 * setImmediate probe, so a chunk's synchronous work and the microtasks it starts count together)
 * and the total time until every firing is committed. Each round uses a fresh database file.
 *
 *   bun bench/signals-storm.ts [--firings 10000] [--rounds 3]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { SignalDefinition, SignalFiring } from "../src/domain/signals/rule.ts";
import { systemClock } from "../src/lib/clock.ts";
import { silentLogger } from "../src/lib/log.ts";
import { createOutbox } from "../src/signals/delivery/outbox.ts";
import { COMMIT_BATCH, createSignalRuntime, definitionOf } from "../src/signals/runtime.ts";
import type { SignalRecord } from "../src/store/signals.port.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";

const { values: args } = parseArgs({ options: { firings: { type: "string", default: "10000" }, rounds: { type: "string", default: "3" } } });
const FIRINGS = Number(args.firings);
const ROUNDS = Number(args.rounds);
const CHUNK = 256; // engine.ts DELIVER_CHUNK
const dir = mkdtempSync(join(tmpdir(), "signals-storm-"));
let dbs = 0;

type OnFire = (f: SignalFiring, def: SignalDefinition) => void;
interface Result { stallMs: number; totalMs: number }

/** A store with `FIRINGS` enabled signals of one webhook channel each. */
async function world() {
  const store = await openSqliteStore({ path: join(dir, `storm-${++dbs}.db`) });
  await store.migrate();
  const now = Date.now();
  for (let i = 0; i < FIRINGS; i++) {
    await store.signals.create({
      userId: `usr_${i % 50}`, name: `s${i}`, venue: "lighter", marketId: 0, cooldownSecs: 60, enabled: true,
      rule: { conditions: [{ field: "trade_price", op: "gt", value: 1 }], logic: "AND" },
      channels: [{ type: "webhook", url: "https://receiver.example/hook", secret: "storm-bench-secret-0123456789" }],
    }, now);
  }
  return { store, signals: await store.signals.listEnabled() };
}

/** Hands one firing per signal to `onFire`, CHUNK per timer turn, while a probe records the longest gap between turns. */
async function storm(signals: SignalRecord[], onFire: OnFire, settled: () => Promise<void>): Promise<Result> {
  let stall = 0;
  let last = performance.now();
  let probing = true;
  const probe = () => {
    const t = performance.now();
    stall = Math.max(stall, t - last);
    last = t;
    if (probing) setImmediate(probe);
  };
  setImmediate(probe);
  const ts = Date.now();
  const start = performance.now();
  await new Promise<void>((done) => {
    let next = 0;
    const chunk = () => {
      for (const end = Math.min(signals.length, next + CHUNK); next < end; next++) {
        const s = signals[next]!;
        onFire({ signalId: s.id, venue: s.venue, marketId: s.marketId, ts, values: { trade_price: "2" } }, definitionOf(s));
      }
      if (next < signals.length) setTimeout(chunk, 0);
      else done();
    };
    setTimeout(chunk, 0);
  });
  await settled();
  const totalMs = performance.now() - start;
  probing = false;
  return { stallMs: stall, totalMs };
}

async function perFiring(): Promise<Result> {
  const { store, signals } = await world();
  const outbox = createOutbox({ store: store.signals, clock: systemClock });
  const commits: Promise<unknown>[] = [];
  const r = await storm(signals, (firing) => {
    commits.push((async () => {
      const s = await store.signals.byId(firing.signalId);
      if (s?.enabled) await outbox.fire(s, firing);
    })());
  }, async () => void (await Promise.all(commits)));
  await check(store.signals.outboxStats(), "per firing");
  await store.close();
  return r;
}

async function batched(commitBatch: number): Promise<Result> {
  const { store, signals } = await world();
  let onFire: OnFire = () => {};
  const runtime = createSignalRuntime({
    venue: "lighter", clock: systemClock, log: silentLogger(), store: store.signals, pollMs: 3_600_000, heatmapMs: 3_600_000, commitBatch,
    outbox: createOutbox({ store: store.signals, clock: systemClock }), worker: { start() {}, stop() {}, kick() {} },
    engine: (fire) => {
      onFire = fire;
      return { upsert() {}, remove() {}, attach() {}, heatmap() {}, stop() {}, stats: () => ({ active: 0, evaluations: 0, firings: 0 }) };
    },
  });
  await runtime.start();
  // stop() returns once every commit under way has finished.
  const r = await storm(signals, (f, d) => onFire(f, d), () => runtime.stop());
  await check(store.signals.outboxStats(), `batched ${commitBatch}`);
  await store.close();
  return r;
}

async function check(stats: Promise<{ pending: number }>, mode: string) {
  const { pending } = await stats;
  if (pending !== FIRINGS) throw new Error(`${mode}: ${pending} of ${FIRINGS} firings committed`);
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
/** Modes in rotating order per round, so machine load hits all alike. */
const modes: Array<[string, () => Promise<Result>]> = [
  ["per firing", perFiring],
  [`batched ${COMMIT_BATCH}`, () => batched(COMMIT_BATCH)],
  ["batched 100", () => batched(100)],
];
const results = new Map<string, Result[]>(modes.map(([name]) => [name, []]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    const line: string[] = [];
    for (let k = 0; k < modes.length; k++) {
      const [name, run] = modes[(round + k) % modes.length]!;
      const r = await run();
      results.get(name)!.push(r);
      line.push(`${name}: stall ${fmt(r.stallMs)} total ${fmt(r.totalMs)}`);
    }
    console.log(`round ${round + 1}: ${line.join(" | ")}`);
  }
  const base = results.get("per firing")!;
  const [bs, bt] = [median(base.map((r) => r.stallMs)), median(base.map((r) => r.totalMs))];
  console.log(`${FIRINGS} firings, medians of ${ROUNDS} rounds (ratios against per firing, same run):`);
  for (const [name, rs] of results) {
    const [s, t] = [median(rs.map((r) => r.stallMs)), median(rs.map((r) => r.totalMs))];
    console.log(`  ${name.padEnd(12)} longest stall ${fmt(s)} (${(s / bs).toFixed(2)}x), total ${fmt(t)} (${(t / bt).toFixed(2)}x)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
