/**
 * The Lighter simulator: a deterministic market engine (seeded, virtual time) behind the venue's
 * real protocol — REST per reference §B and the `/stream` WebSocket per §C — on loopback. It is the
 * embedded default upstream: the engine connects to it through the live client.
 *
 * Ground-truth hooks (`truth`, `engine`, `shock`) exist for tests; production code never reads them.
 */
import type { Server } from "bun";
import { systemClock, type Clock } from "../../../lib/clock.ts";
import type { SimListener } from "./engine/events.ts";
import { Exchange, DEFAULT_RATE } from "./engine/exchange.ts";
import { screenAllSoon } from "./engine/liquidator.ts";
import { DEFAULT_MARKETS, type MarketSpec } from "./engine/markets.ts";
import { refreshPrices } from "./engine/periodic.ts";
import { RealtimeDriver } from "./driver.ts";
import { fastForward } from "./history.ts";
import { FaultInjector, type FaultOptions, type FaultStats } from "./server/faults.ts";
import { Outbox, type OutboxStats, type SocketData } from "./server/outbox.ts";
import { attachPublisher, sendServerPing } from "./server/publisher.ts";
import { handleRest } from "./server/rest.ts";
import { wsHandlers } from "./server/ws.ts";
import { GroundTruth } from "./truth.ts";

export type { FaultOptions, FaultStats } from "./server/faults.ts";
export type { MarketSpec } from "./engine/markets.ts";
export { DEFAULT_MARKETS } from "./engine/markets.ts";
export type { SimEvent, SimListener, SimTrade } from "./engine/events.ts";
export type { AccountTruth, L2Snapshot, PublishedDelta } from "./truth.ts";
export { GroundTruth } from "./truth.ts";
export { runHistory, type HistoryEvent, type HistoryOptions, type HistoryProgress, type HistorySummary } from "./history.ts";
export { Exchange, DEFAULT_RATE } from "./engine/exchange.ts";

/** Options of `startSimulator`. */
export interface SimOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Same seed → same events (default 1). */
  seed?: number;
  /** Market ids (of `DEFAULT_MARKETS`) or full specs; default: the eight default markets. */
  markets?: readonly (number | MarketSpec)[];
  /** Trader accounts (default 2,000). */
  accounts?: number;
  /** Target events per second (book deltas + trades) across markets (default 200). */
  rate?: number;
  /** Time source (default the system clock); a `ManualClock` makes a test drive the simulator. */
  clock?: Clock;
  faults?: FaultOptions;
  /** Virtual time at start, ms (default: the clock's now). */
  start?: number;
  /** Fast-forwarded history before serving, ms (default 0), so candles and trades exist at once. */
  historyMs?: number;
  /** Server JSON ping interval, ms (default 60,000; 0 disables). */
  pingIntervalMs?: number;
  /**
   * Deltas of book history kept per market for `truth.bookAt` (default 10,000). 0 turns the
   * ground-truth recorder off (the standalone CLI: nobody can read it there); `truth` then throws.
   */
  truthHistory?: number;
  /**
   * An engine to continue from (e.g. the one a seeding `runHistory` left at its end), instead of a
   * fresh one: prices, books and accounts then carry on where the history stopped. `seed`,
   * `markets`, `accounts`, `start` and `historyMs` are ignored; `rate` still applies.
   */
  engine?: Exchange;
}

/** Counters of a running simulator. */
export interface SimStats {
  connections: number;
  outbox: OutboxStats;
  faults: FaultStats;
  /** Virtual time of the engine, ms. */
  now: number;
}

/** A running simulator. */
export interface SimHandle {
  /** `http://host:port` (no trailing slash) and `ws://host:port/stream`. */
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly seed: number;
  /** Current target rate, events/s. */
  readonly rate: number;
  stop(): Promise<void>;
  /** Merges fault settings over the current ones (`{ dropDeltaPct: 0 }` turns one off). */
  setFaults(faults: FaultOptions): void;
  setRate(eventsPerSecond: number): void;
  /** Stops / restarts the engine's clock (on resume it catches up with the present). */
  pause(): void;
  resume(): void;
  /** Brings the engine to the clock's present now (tests with a `ManualClock`). */
  sync(): void;
  /** Moves a market's fair price by `fraction` at once (−0.2 = −20%), then re-marks it (tests, demos). */
  shock(marketId: number, fraction: number): void;
  /** Engine events as they happen (before delivery faults). */
  onEvent(listener: SimListener): () => void;
  stats(): SimStats;
  /** Ground truth: books by nonce, trade ids, accounts (tests only). */
  readonly truth: GroundTruth;
  /** The engine itself (tests only). */
  readonly engine: Exchange;
}

function resolveMarkets(markets: SimOptions["markets"]): readonly MarketSpec[] {
  if (!markets) return DEFAULT_MARKETS;
  return markets.map((m) => {
    if (typeof m !== "number") return m;
    const spec = DEFAULT_MARKETS.find((s) => s.id === m);
    if (!spec) throw new RangeError(`unknown market id ${m}`);
    return spec;
  });
}

/** Starts a simulator on loopback and returns its handle once it accepts connections. */
export async function startSimulator(opts: SimOptions = {}): Promise<SimHandle> {
  const clock = opts.clock ?? systemClock;
  const seed = opts.seed ?? 1;
  const historyMs = opts.historyMs ?? 0;
  const start = opts.start ?? clock.now();
  const ex = opts.engine ?? new Exchange({ seed, start: start - historyMs, markets: resolveMarkets(opts.markets), accounts: opts.accounts, rate: opts.rate ?? DEFAULT_RATE });
  if (opts.engine) ex.setRate(opts.rate ?? DEFAULT_RATE);
  const truth = opts.truthHistory === 0 ? undefined : new GroundTruth(ex, opts.truthHistory);
  if (!opts.engine && historyMs > 0) await fastForward(ex, start);

  const out = new Outbox();
  let sessions = 0;
  const driver = new RealtimeDriver(ex, clock);
  const faults = new FaultInjector(seed, clock, {
    disconnectAll: () => { for (const ws of [...out.sockets]) ws.terminate(); },
    flush: () => out.flush(),
  });
  const sync = () => void driver.sync();
  const server: Server<SocketData> = Bun.serve<SocketData>({
    port: opts.port ?? 0,
    hostname: opts.host ?? "127.0.0.1",
    fetch(req, srv) {
      const url = new URL(req.url);
      if (url.pathname === "/stream") {
        const data: SocketData = { sessionId: `sim-${seed}-${++sessions}`, topics: new Set() };
        return srv.upgrade(req, { data }) ? undefined : new Response("expected a websocket upgrade", { status: 426 });
      }
      return handleRest(ex, req, url, sync) ?? new Response(JSON.stringify({ code: 404, message: "not found" }), { status: 404, headers: { "content-type": "application/json" } });
    },
    websocket: wsHandlers({ ex, out, sync }),
  });
  out.bind(server, faults);
  ex.accountsWanted = () => out.accountTopics > 0;
  const detach = attachPublisher(ex, out, faults);
  if (opts.faults) faults.set(opts.faults);

  const pingEvery = opts.pingIntervalMs ?? 60_000;
  let pingTimer: unknown;
  const armPing = () => {
    if (pingEvery > 0) pingTimer = clock.setTimeout(() => { if (!faults.stalled()) sendServerPing(out); armPing(); }, pingEvery);
  };
  armPing();
  driver.start();

  const host = opts.host ?? "127.0.0.1";
  const port = server.port as number;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}/stream`,
    port,
    seed,
    get rate() { return ex.rate; },
    stop() {
      stopped ??= (async () => {
        driver.stop();
        faults.dispose();
        clock.clearTimeout(pingTimer);
        detach();
        truth?.dispose();
        for (const ws of [...out.sockets]) ws.close(1001, "simulator stopping");
        await server.stop(true);
      })();
      return stopped;
    },
    setFaults: (f) => faults.set(f),
    setRate: (r) => ex.setRate(r),
    pause: () => driver.pause(),
    resume: () => driver.resume(),
    sync,
    shock(marketId, fraction) {
      const m = ex.market(marketId);
      if (!m) throw new RangeError(`unknown market id ${marketId}`);
      sync();
      m.fair.shock(fraction);
      refreshPrices(ex, m);
      screenAllSoon(ex);
    },
    onEvent: (listener) => ex.on(listener),
    stats: () => ({ connections: out.sockets.size, outbox: { ...out.stats }, faults: { ...faults.stats }, now: ex.now }),
    get truth(): GroundTruth {
      if (!truth) throw new Error("the ground-truth recorder is off (truthHistory: 0)");
      return truth;
    },
    engine: ex,
  };
}
