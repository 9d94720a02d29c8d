/**
 * State shared by the recorder's two lanes (store-lane.ts, spill-lane.ts) and their coordinator
 * (lanes.ts). One mutable object, owned by one recorder; see recorder.ts for the invariants.
 */
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { MarketDataStore } from "../store/ports.ts";
import type { AccountsStore } from "../store/accounts.port.ts";
import type { BatchQueue, Chunk } from "./batch-queue.ts";
import type { Journal } from "./journal.ts";
import type { SlicePacer } from "./slice-pacer.ts";
import { RECORD_KINDS, type Batch, type RecorderOptions, type RecorderStats, type RecordKind, type RowsByKind } from "./types.ts";

export type Row = RowsByKind[RecordKind];

/** A batch out of its queue. `stolen`: a spill took it over, so the store lane must not settle or restore it. */
export interface Taken {
  kind: RecordKind;
  chunk: Chunk<Row>;
  stolen: boolean;
}

export interface LanesDeps {
  store: MarketDataStore;
  /** The accounts kinds' store (absent: those kinds are never recorded). */
  accounts?: AccountsStore;
  journal: Journal;
  queues: Record<RecordKind, BatchQueue<Row>>;
  clock: Clock;
  log: Logger;
  maxRows: number;
  maxBytes: number;
  retryMinMs: number;
  retryMaxMs: number;
  onJournaled: RecorderOptions["onJournaled"];
  /** Sizes and spaces the store lane's calls (slice-pacer.ts). */
  pacer: SlicePacer;
}

export type Counters = Pick<RecorderStats, "rowsWritten" | "rowsJournaled" | "writeErrors" | "journalErrors" | "lastError">;

export interface LaneState {
  readonly d: LanesDeps;
  /** Rows per kind that left memory for good (stored or journaled); `flush` waits on these. */
  readonly settled: Record<RecordKind, number>;
  readonly counters: Counters;
  /** The buffer batch the store lane is writing. */
  inflight: Taken | null;
  /** The journal append under way, and the rows it holds (in memory until it is durable). */
  spilling: Promise<void> | null;
  spillHeld: readonly Taken[];
  /** The last store call failed (until one succeeds). */
  storeFailing: boolean;
  /** A store retry is scheduled; the store lane does nothing until it fires. */
  storeWaiting: boolean;
  /** A journal append failed; spilling waits for its retry timer. */
  journalWaiting: boolean;
  /** Spill everything, not just down to half the bound (flush/close while the store fails). */
  spillAll: boolean;
  /** Partial batches may be written (a flush tick, `flush`, `close`). */
  partialDue: boolean;
  stopped: boolean;
  retryTimer: unknown;
  journalTimer: unknown;
  /** Resolves every `changed()` promise: call after anything that can satisfy a waiter. */
  wake(): void;
  changed(): Promise<void>;
  memRows(): number;
  memBytes(): number;
  fail(what: string, err: unknown): void;
}

// Queues are filled by kind-typed record* methods, so a chunk's rows always match its kind.
export const toBatch = (t: Taken): Batch => ({ kind: t.kind, rows: t.chunk.rows }) as Batch;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createLaneState(d: LanesDeps): LaneState {
  let waiters: (() => void)[] = [];
  const counters: Counters = { rowsWritten: 0, rowsJournaled: 0, writeErrors: 0, journalErrors: 0, lastError: null };
  return {
    d,
    settled: { trades: 0, books: 0, candles: 0, funding: 0, liquidations: 0, metrics: 0, fills: 0, pnl: 0, heatmap: 0 },
    counters,
    inflight: null,
    spilling: null,
    spillHeld: [],
    storeFailing: false,
    storeWaiting: false,
    journalWaiting: false,
    spillAll: false,
    partialDue: false,
    stopped: false,
    retryTimer: null,
    journalTimer: null,
    wake() {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    },
    changed: () => new Promise<void>((resolve) => waiters.push(resolve)),
    memRows() {
      let n = 0;
      for (const k of RECORD_KINDS) n += d.queues[k].rows;
      return n;
    },
    memBytes() {
      let n = 0;
      for (const k of RECORD_KINDS) n += d.queues[k].bytes;
      return n;
    },
    fail(what, err) {
      counters.lastError = { message: `${what}: ${message(err)}`, at: d.clock.now() };
    },
  };
}
