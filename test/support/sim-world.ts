/**
 * A simulator and the whole service on one ManualClock, for end-to-end tests against the
 * simulator's ground truth. The test owns the simulator (`startSimulator`, so it holds `truth` and
 * `engine`) and points the service at it with LIGHTER_URL / LIGHTER_WS_URL, exactly as a deployment
 * points it at the real venue: the live client, MarketActors, recorder, candle keeper and live read
 * model all run for real, over loopback sockets.
 *
 * Time: both share one ManualClock. A pump advances it by `stepMs` per event-loop turn while it
 * runs (a few tens of times real time), so minutes of market flow take seconds, and every timer of
 * the service (book publishing, candle flushes, recorder batching) runs on the same virtual time
 * as the venue's timestamps. Holding the pump freezes the venue and the service together.
 *
 * The simulator's trade log is captured from its engine events from the first action on, so it is
 * complete (not bounded by the engine's tape rings).
 */
import { rmSync } from "node:fs";
import { loadConfig } from "../../src/config";
import { ManualClock } from "../../src/lib/clock";
import { createLogger, silentLogger, type Logger } from "../../src/lib/log";
import { startService, type RunningService } from "../../src/service";
import { startSimulator, type SimHandle, type SimTrade } from "../../src/venues/lighter/sim";
import { provisionApiKey, TEST_ADMIN_TOKEN } from "./api-key";
import { tempDir } from "./process";

export interface WorldOptions {
  /** Virtual start time (ms). */
  start: number;
  markets: readonly number[];
  seed?: number;
  /** Simulator events per second of virtual time. */
  rate?: number;
  /** Virtual ms per pump step (one event-loop turn). */
  stepMs?: number;
  /** Extra service environment (e.g. DATABASE_URL). */
  env?: Record<string, string>;
}

/** Polls `condition` until it holds; throws with `what` after `timeoutMs` of real time. */
export async function until<T>(what: string, condition: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      last = err;
    }
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await Bun.sleep(5);
  }
}

/** GET a JSON envelope from the service with an API key; throws on a non-200 with the body. */
export async function getData<T>(base: string, path: string, apiKey: string): Promise<T> {
  const res = await fetch(base + path, { headers: { "x-api-key": apiKey } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path} → ${res.status} ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { data: T }).data;
}

export class SimWorld {
  readonly clock: ManualClock;
  readonly dataDir = tempDir("world");
  /** Every trade the engine produced, per market, in engine order. */
  readonly trades = new Map<number, SimTrade[]>();
  sim!: SimHandle;
  service: RunningService | undefined;
  /** An enterprise key, provisioned on the first start (kept in the store across restarts). */
  apiKey = "";
  private pumping = false;
  private pumpLoop: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(readonly opts: WorldOptions) {
    this.clock = new ManualClock(opts.start);
    const level = process.env.HL_TEST_LOG as "debug" | "info" | "warn" | "error" | undefined;
    this.log = level ? createLogger({ level }) : silentLogger();
  }

  async startSimulator(): Promise<void> {
    this.sim = await startSimulator({ clock: this.clock, seed: this.opts.seed ?? 7, markets: this.opts.markets, rate: this.opts.rate ?? 120, accounts: 300 });
    this.sim.onEvent((e) => {
      if (e.type !== "trades") return;
      let list = this.trades.get(e.marketId);
      if (!list) this.trades.set(e.marketId, (list = []));
      for (const t of e.trades) list.push(t);
      for (const t of e.liquidationTrades) list.push(t);
    });
  }

  /** GET /api/v1… of the running service, with the key. */
  get<T>(path: string): Promise<T> {
    return getData<T>(this.url, path, this.apiKey);
  }

  get url(): string {
    if (!this.service) throw new Error("service not running");
    return this.service.url;
  }

  /**
   * Starts the service and waits, with the venue frozen, until it has a live book of every market:
   * then it is subscribed to every channel and no trade can have happened unseen.
   */
  async startService(): Promise<RunningService> {
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      ROLE: "all",
      DATA_DIR: this.dataDir,
      LOG_LEVEL: "silent",
      LIGHTER_URL: this.sim.url,
      LIGHTER_WS_URL: this.sim.wsUrl,
      LIGHTER_MARKETS: this.opts.markets.join(","),
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      ...this.opts.env,
    });
    const service = await startService(config, { clock: this.clock, log: this.log });
    this.service = service;
    this.apiKey ||= await provisionApiKey(service.url);
    this.sim.pause();
    try {
      // Service timers (book publisher, leader election) need time to move; the venue does not.
      for (const m of this.opts.markets) {
        await until(`a live book of market ${m}`, async () => {
          this.clock.advance(20);
          const res = await fetch(`${service.url}/api/v1/orderbook/${m}?depth=1`, { headers: { "x-api-key": this.apiKey } });
          await res.arrayBuffer();
          return res.status === 200;
        });
      }
    } finally {
      this.sim.resume();
    }
    return service;
  }

  async stopService(): Promise<void> {
    const s = this.service;
    this.service = undefined;
    await s?.stop();
  }

  /** Advances virtual time by `stepMs` per event-loop turn until `stop()` or `runUntil`'s target. */
  startPump(stepMs = this.opts.stepMs ?? 40): void {
    if (this.pumping) return;
    this.pumping = true;
    const step = stepMs;
    this.pumpLoop = (async () => {
      while (this.pumping) {
        this.clock.advance(step);
        // A macrotask turn: sockets deliver, the store writes, HTTP answers.
        await Bun.sleep(1);
      }
    })();
  }

  async stopPump(): Promise<void> {
    this.pumping = false;
    await this.pumpLoop;
  }

  /** Runs the pump until virtual time reaches `t`, then holds it. */
  async runUntil(t: number, timeoutMs = 30_000): Promise<void> {
    this.startPump();
    await until(`virtual time ${new Date(t).toISOString()}`, () => this.clock.now() >= t, timeoutMs);
    await this.stopPump();
  }

  /**
   * Freezes the venue (no more engine actions) while service time still moves, so the publisher,
   * candle keeper and recorder catch up with everything the venue has sent.
   */
  freezeVenue(stepMs = 10): void {
    this.sim.pause();
    this.startPump(stepMs);
  }

  async close(): Promise<void> {
    await this.stopPump();
    await this.stopService().catch(() => {});
    await this.sim?.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
